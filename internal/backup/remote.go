package backup

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/vts/dossier/internal/refusal"
	"github.com/vts/dossier/internal/settings"
)

// Remote is one backup mirror from dossier.yaml that passed the rules: a
// bare repository on a mounted disk (Path set, Host empty) or on an
// internal host reached over ssh.
type Remote struct {
	Name string
	URL  string
	// Path is the mirror's directory: on this machine for a mounted disk,
	// on Host for ssh.
	Path string
	User string
	Host string
	Port string
}

// SSH reports whether the mirror is on another host.
func (r *Remote) SSH() bool { return r.Host != "" }

// RefusedError is a remote that may not receive the records: the policy
// says the data stays on the company's own machines and media.
type RefusedError struct {
	Name, URL string
	Rule      string
	// Unlisted: the only rule broken is that the host is not in
	// internal_hosts, which the person may fix by listing it.
	Unlisted bool
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("backup remote %q (%s) refused: %s", e.Name, e.URL, e.Rule)
}

// Unwrap makes a refused remote a refusal.Error, the one kind the command
// line exits 1 for.
func (e *RefusedError) Unwrap() error { return &refusal.Error{Msg: e.Error()} }

// ParseRemote checks one backup entry against the rules and returns the
// remote it names. Accepted: an absolute path or file:// URL (a mounted
// disk), ssh://[user@]host[:port]/path or [user@]host:path where host is
// listed in internal_hosts. Refused with a *RefusedError naming the rule:
// http(s) and every other scheme, hosts not listed as internal, listed
// hosts that are public services, and IP literals outside private ranges.
func ParseRemote(b settings.Backup, internalHosts []string) (*Remote, error) {
	refuse := func(format string, a ...any) error {
		return &RefusedError{Name: b.Name, URL: b.URL, Rule: fmt.Sprintf(format, a...)}
	}
	raw := strings.TrimSpace(b.URL)
	if b.Name == "" {
		return nil, refuse("it has no name: give every entry under backups: a name")
	}
	if raw == "" {
		return nil, refuse("it has no url: use a mounted path or ssh://host/path")
	}
	r := &Remote{Name: b.Name, URL: raw}
	switch {
	case strings.HasPrefix(raw, "/"):
		r.Path = filepath.Clean(raw)
		return r, nil
	case strings.Contains(raw, "://"):
		u, err := url.Parse(raw)
		if err != nil {
			return nil, refuse("not a valid URL: %v", err)
		}
		switch strings.ToLower(u.Scheme) {
		case "file":
			if u.Host != "" && u.Host != "localhost" {
				return nil, refuse("file:// URLs must name a local path (file:///mnt/backup/records.git)")
			}
			if !strings.HasPrefix(u.Path, "/") {
				return nil, refuse("file:// URLs must name an absolute path")
			}
			r.Path = filepath.Clean(u.Path)
			return r, nil
		case "ssh":
			if u.User != nil {
				if _, hasPass := u.User.Password(); hasPass {
					return nil, refuse("a password in the URL is not allowed: use an ssh key")
				}
				r.User = u.User.Username()
			}
			r.Host, r.Port, r.Path = u.Hostname(), u.Port(), u.Path
		case "http", "https":
			return nil, refuse("http(s) remotes are not allowed: backups go to a mounted disk or an internal host over ssh")
		default:
			return nil, refuse("scheme %q is not allowed: use a mounted path or ssh://host/path", u.Scheme)
		}
	default:
		// scp-like [user@]host:path, as git accepts it.
		i := strings.Index(raw, ":")
		if i <= 0 || strings.Contains(raw[:i], "/") {
			return nil, refuse("a relative path is ambiguous: use an absolute path such as /mnt/backup/records.git")
		}
		hostPart := raw[:i]
		if at := strings.LastIndex(hostPart, "@"); at >= 0 {
			r.User, hostPart = hostPart[:at], hostPart[at+1:]
		}
		r.Host, r.Path = strings.Trim(hostPart, "[]"), raw[i+1:]
	}
	return r, checkHost(r, internalHosts, refuse)
}

func checkHost(r *Remote, internalHosts []string, refuse func(string, ...any) error) error {
	host := strings.TrimSuffix(strings.ToLower(r.Host), ".")
	if host == "" {
		return refuse("no host in the ssh URL")
	}
	if r.Path == "" || r.Path == "/" {
		return refuse("no repository path on %s", host)
	}
	if strings.HasPrefix(r.User, "-") || strings.HasPrefix(host, "-") || strings.ContainsAny(host+r.User, " \t\n'\"") {
		return refuse("malformed user or host")
	}
	if rule := settings.HostRule(host, internalHosts); rule != "" {
		err := refuse("%s", rule)
		// Unlisted when listing the host would satisfy the rule: the
		// hint may then suggest --internal-host.
		if re, ok := err.(*RefusedError); ok && settings.HostRule(host, []string{host}) == "" {
			re.Unlisted = true
		}
		return err
	}
	r.Host = host
	return nil
}

// Select returns the remotes named (all when names is empty), refusing the
// whole run if any selected entry breaks a rule: a backup either goes
// where the policy allows or nowhere.
func Select(s *settings.Settings, names []string) ([]*Remote, error) {
	if len(s.Backups) == 0 {
		return nil, fmt.Errorf("no backup remotes in %s: add one under backups: (name, url)", settings.File)
	}
	var out []*Remote
	for _, b := range s.Backups {
		if len(names) > 0 && !contains(names, b.Name) {
			continue
		}
		r, err := ParseRemote(b, s.InternalHosts)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	for _, n := range names {
		found := false
		for _, r := range out {
			found = found || r.Name == n
		}
		if !found {
			return nil, fmt.Errorf("no backup remote named %q in %s", n, settings.File)
		}
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
