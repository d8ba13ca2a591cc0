package settings

import (
	"fmt"
	"net"
	"strings"
)

// publicHosts are well-known public services. A host on one of them is
// refused even when someone listed it in internal_hosts by mistake: the
// list is built in so that a settings edit cannot put records (or the
// data keys of a Vault transit recipient) on the internet. A name matches
// itself and its subdomains.
var publicHosts = []string{
	"github.com", "githubusercontent.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sr.ht",
	"gitea.com", "gitee.com", "notabug.org", "pagure.io", "launchpad.net", "sourceforge.net",
	"savannah.gnu.org", "huggingface.co", "heroku.com", "azure.com", "visualstudio.com",
	"windows.net", "amazonaws.com", "cloudfront.net", "googleapis.com", "googlesource.com",
	"appspot.com", "cloudflarestorage.com", "backblazeb2.com", "digitaloceanspaces.com",
	"wasabisys.com", "dropbox.com", "box.com", "onedrive.com", "icloud.com",
}

// PublicService returns the deny-list entry host falls under, or "".
func PublicService(host string) string {
	for _, p := range publicHosts {
		if host == p || strings.HasSuffix(host, "."+p) {
			return p
		}
	}
	return ""
}

// HostRule says why host may not receive the company's data, or "" when
// it may: it must be listed in internalHosts, must not be a public
// service (even if listed), and an IP literal must be private, loopback
// or link-local. Backup remotes and Vault transit recipients obey the same
// rule, since both send what the policy keeps inside the company.
func HostRule(host string, internalHosts []string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if p := PublicService(host); p != "" {
		return fmt.Sprintf("%s is a public service (%s), never an internal host, even if listed in internal_hosts", host, p)
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && !(ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()) {
		return fmt.Sprintf("%s is a public IP address: only private, loopback or link-local addresses can be internal", host)
	}
	for _, h := range internalHosts {
		if strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".") == host {
			return ""
		}
	}
	return fmt.Sprintf("host %s is not listed in internal_hosts of %s", host, File)
}
