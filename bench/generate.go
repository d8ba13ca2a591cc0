package main

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vts/dossier/internal/record"
	"github.com/vts/dossier/internal/sopsfile"
)

// genOptions sizes a synthetic records repository. The zero value of a
// field means its default.
type genOptions struct {
	Customers   int   // default 2,000
	PerCustomer int   // records per customer, default 25: 1 customer, 8 users, 2 contracts, 4 environment, 5 errors, 5 maintenance
	Commits     int   // commits after the init commit; 0 means one commit holding every record
	Seed        int64 // values are a pure function of the seed, ids and record versions

	dossier string   // binary that runs "dossier init"
	env     []string // environment of that run (SOPS_AGE_KEY_FILE)
}

func (o genOptions) withDefaults() genOptions {
	if o.Customers <= 0 {
		o.Customers = 2000
	}
	if o.PerCustomer <= 0 {
		o.PerCustomer = 25
	}
	o.PerCustomer = max(o.PerCustomer, len(kindMix))
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// key names a cached repository of these options.
func (o genOptions) key() string {
	return fmt.Sprintf("c%d-r%d-h%d-s%d", o.Customers, o.PerCustomer, o.Commits, o.Seed)
}

// kindMix is how a customer's records are split among kinds (besides the one
// customer record), in 24ths, and the id prefix of each kind.
var kindMix = []struct {
	kind, prefix string
	share        int
}{
	{"user", "u", 8}, {"contract", "ct", 2}, {"environment", "env", 4}, {"error", "err", 5}, {"maintenance", "mnt", 5},
}

// synthRepo is a generated records repository: a git repository whose work
// tree is checked out at main, every record encrypted to the TEST ONLY key.
type synthRepo struct {
	Dir       string   // repository root
	KeyFile   string   // the age key that opens every record
	Customers []string // customer ids, c-0001 ...
	Files     int      // record files at HEAD
	Commits   int      // commits on main, the init commit included
	Opt       genOptions
	counts    []int // records of each kindMix kind per customer
}

// CustomerDir is the folder of a customer, relative to the root.
func (r *synthRepo) CustomerDir(id string) string { return path.Join(record.Dir, id) }

// Records lists the record paths (relative, slash-separated) of the i-th
// customer at HEAD.
func (r *synthRepo) Records(i int) []string {
	var out []string
	for slot := 0; slot < r.Opt.PerCustomer; slot++ {
		out = append(out, r.recordPath(i, slot))
	}
	return out
}

// AllRecords lists every record path at HEAD.
func (r *synthRepo) AllRecords() []string {
	out := make([]string, 0, r.Files)
	for i := range r.Customers {
		out = append(out, r.Records(i)...)
	}
	return out
}

// slotKind maps a record slot of a customer to its kind and its number
// among that customer's records of the kind. Slot 0 is the customer record.
func (r *synthRepo) slotKind(slot int) (kindIdx, n int) {
	if slot == 0 {
		return -1, 0
	}
	slot--
	for k, c := range r.counts {
		if slot < c {
			return k, slot
		}
		slot -= c
	}
	panic("slot out of range")
}

// recordID is the id of a record; ids are unique across the repository.
func (r *synthRepo) recordID(cust, slot int) string {
	k, n := r.slotKind(slot)
	if k < 0 {
		return fmt.Sprintf("c-%04d", cust+1)
	}
	return fmt.Sprintf("%s-%05d", kindMix[k].prefix, cust*r.counts[k]+n+1)
}

func (r *synthRepo) recordPath(cust, slot int) string {
	k, _ := r.slotKind(slot)
	kind := "customer"
	if k >= 0 {
		kind = kindMix[k].kind
	}
	return record.For(fmt.Sprintf("c-%04d", cust+1), kind, r.recordID(cust, slot))
}

func newSynthRepo(dir string, opt genOptions) *synthRepo {
	r := &synthRepo{Dir: dir, Opt: opt, Files: opt.Customers * opt.PerCustomer}
	rest := opt.PerCustomer - 1
	left := rest
	for i, m := range kindMix {
		c := max(1, rest*m.share/24)
		if i == len(kindMix)-1 {
			c = left
		}
		c = max(1, min(c, left-(len(kindMix)-1-i)))
		r.counts = append(r.counts, c)
		left -= c
	}
	for i := range opt.Customers {
		r.Customers = append(r.Customers, fmt.Sprintf("c-%04d", i+1))
	}
	r.Commits = 1 + max(1, opt.Commits)
	return r
}

// repo returns a synthetic repository of these options, generating it once
// per run (or once per -work dir) under Work/repos. Benchmarks that change
// the repository must work on a copy made with cloneDir.
func (c *benchContext) repo(opt genOptions) (*synthRepo, error) {
	opt = opt.withDefaults()
	opt.dossier = c.Dossier
	opt.env = c.env()
	base := filepath.Join(c.Work, "repos", opt.key())
	manifest := filepath.Join(base, "repo.json")
	// The manifest is written last: a repository without one is incomplete.
	if _, err := os.Stat(manifest); err == nil {
		r := newSynthRepo(filepath.Join(base, "repo"), opt)
		r.KeyFile = c.KeyFile
		c.logf("using cached repository %s (%d customers, %d files, %d commits)", opt.key(), len(r.Customers), r.Files, r.Commits)
		return r, nil
	}
	if err := os.RemoveAll(base); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	c.logf("generating repository %s: %d customers x %d records, %d commits ...", opt.key(), opt.Customers, opt.PerCustomer, max(1, opt.Commits)+1)
	t0 := time.Now()
	r, err := generateRepo(filepath.Join(base, "repo"), opt)
	if err != nil {
		return nil, fmt.Errorf("generating %s: %w", opt.key(), err)
	}
	r.KeyFile = c.KeyFile
	c.logf("generated in %s", fmtDur(time.Since(t0)))
	return r, os.WriteFile(manifest, []byte(fmt.Sprintf("%d customers, %d files, %d commits\n", len(r.Customers), r.Files, r.Commits)), 0o644)
}

// cloneDir copies a directory tree (a generated repository) for a benchmark
// that changes it; dst must not exist. cp -a keeps modes and is far faster
// than copying file by file from Go.
func cloneDir(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("cp -a %s %s: %v: %s", src, dst, err, out)
	}
	return nil
}

// generateRepo creates a records repository in dir with "dossier init",
// then writes its history with git fast-import: the init files first, then
// opt.Commits commits that add customers (each with all its records) spread
// evenly over the history, the commits in between changing one to four
// records of one customer (re-encrypted, so history holds many versions of
// a blob). Records are encrypted in parallel, GOMAXPROCS workers, with the
// repository's own creation rules, while fast-import writes the pack.
func generateRepo(dir string, opt genOptions) (*synthRepo, error) {
	opt = opt.withDefaults()
	r := newSynthRepo(dir, opt)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	initCmd := exec.Command(opt.dossier, "init", dir)
	initCmd.Env = opt.env
	if out, err := initCmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("dossier init: %v: %s", err, out)
	}
	rules, err := sopsfile.LoadRules(dir)
	if err != nil {
		return nil, err
	}
	git := func(stdin io.Reader, stdout io.Writer, args ...string) error {
		// The generated repository's hooks call "dossier hook", which is
		// not needed to write history that is valid by construction.
		cmd := exec.Command("git", append([]string{"-c", "core.hooksPath=/dev/null"}, args...)...)
		cmd.Dir, cmd.Env, cmd.Stdin, cmd.Stdout = dir, opt.env, stdin, stdout
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("git %s: %v: %s", args[0], err, stderr.String())
		}
		return nil
	}
	var tree bytes.Buffer
	if err := git(nil, &tree, "ls-tree", "-r", "-z", "HEAD"); err != nil {
		return nil, err
	}
	// The root commit holds what "dossier init" wrote, read back from its
	// tree; fast-import replaces the init commit with it.
	var initFiles strings.Builder
	for _, entry := range bytes.Split(tree.Bytes(), []byte{0}) {
		meta, name, ok := strings.Cut(string(entry), "\t")
		if !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&initFiles, "M %s inline %s\ndata %d\n%s\n", strings.Fields(meta)[0], name, len(data), data)
	}

	pr, pw := io.Pipe()
	importDone := make(chan error, 1)
	go func() {
		err := git(pr, io.Discard, "fast-import", "--quiet", "--force", "--done")
		pr.CloseWithError(err)
		importDone <- err
	}()
	w := bufio.NewWriterSize(pw, 1<<20)
	genErr := writeHistory(w, r, rules, initFiles.String())
	if genErr == nil {
		genErr = w.Flush()
	}
	pw.CloseWithError(genErr)
	if err := <-importDone; genErr == nil {
		genErr = err
	}
	if genErr != nil {
		return nil, genErr
	}
	if err := git(nil, io.Discard, "reset", "--hard", "-q", "main"); err != nil {
		return nil, err
	}
	return r, nil
}

// item is one entry of the fast-import stream, in order: a commit header
// (text) or a file whose content is being encrypted by a worker (done).
type item struct {
	text string
	path string
	done chan encrypted
}

type encrypted struct {
	data []byte
	err  error
}

type encJob struct {
	rel     string
	cust    int
	slot    int
	version int
	done    chan encrypted
}

// writeHistory streams the whole history to fast-import. A producer plans
// commits in order and hands each file to the worker pool; the writer below
// takes items in order, waiting for each file's ciphertext, so that output
// is deterministic while encryption runs on every core. The bounded queue
// keeps memory flat whatever the repository size.
func writeHistory(w *bufio.Writer, r *synthRepo, rules *sopsfile.Rules, initFiles string) error {
	jobs := make(chan encJob, 256)
	queue := make(chan item, 4096)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				data, err := r.encrypt(rules, j.rel, j.cust, j.slot, j.version)
				j.done <- encrypted{data, err}
			}
		}()
	}
	go func() {
		defer close(queue)
		defer close(jobs)
		r.plan(func(it item, job *encJob) bool {
			if job != nil {
				job.done = make(chan encrypted, 1)
				it.done = job.done
				select {
				case jobs <- *job:
				case <-stop:
					return false
				}
			}
			select {
			case queue <- it:
				return true
			case <-stop:
				return false
			}
		}, initFiles)
	}()
	var err error
	for it := range queue {
		if err != nil {
			continue
		}
		if it.done == nil {
			_, err = w.WriteString(it.text)
			continue
		}
		res := <-it.done
		if err = res.err; err != nil {
			close(stop)
			continue
		}
		if _, err = fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n", it.path, len(res.data)); err == nil {
			if _, err = w.Write(res.data); err == nil {
				_, err = w.WriteString("\n")
			}
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	_, err = w.WriteString("done\n")
	return err
}

// plan emits the history in order through emit (false means stop): the
// init files as the root commit of main, then the record commits.
func (r *synthRepo) plan(emit func(item, *encJob) bool, initFiles string) {
	opt := r.Opt
	when := time.Date(2019, 1, 7, 9, 0, 0, 0, time.UTC)
	n := 0
	header := func(msg string) string {
		n++
		when = when.Add(2*time.Hour + time.Duration(n%7)*time.Minute)
		var b strings.Builder
		fmt.Fprintf(&b, "commit refs/heads/main\nmark :%d\n", n)
		sig := fmt.Sprintf("Bench Engineer <engineer@dossier.invalid> %d +0000\n", when.Unix())
		b.WriteString("author " + sig + "committer " + sig)
		fmt.Fprintf(&b, "data %d\n%s\n", len(msg), msg)
		if n == 1 {
			b.WriteString("deleteall\n")
		} else {
			fmt.Fprintf(&b, "from :%d\n", n-1)
		}
		return b.String()
	}
	if !emit(item{text: "reset refs/heads/main\n" + header("dossier: new records repository\n") + initFiles}, nil) {
		return
	}

	commits := max(1, opt.Commits)
	versions := make([]int, r.Files)
	added := 0 // customers added so far
	rng := rand.New(rand.NewPCG(uint64(opt.Seed), 0x5eed))
	file := func(cust, slot int) bool {
		rel := r.recordPath(cust, slot)
		idx := cust*opt.PerCustomer + slot
		return emit(item{path: rel}, &encJob{rel: rel, cust: cust, slot: slot, version: versions[idx]})
	}
	for j := range commits {
		// Customers k with k*commits/Customers == j are added by commit j.
		first := added
		for added < opt.Customers && added*commits/opt.Customers == j {
			added++
		}
		if added > first {
			msg := fmt.Sprintf("%s: new customer records\n", r.Customers[first])
			if added-first > 1 {
				msg = fmt.Sprintf("%s..%s: new customer records\n", r.Customers[first], r.Customers[added-1])
			}
			if !emit(item{text: header(msg)}, nil) {
				return
			}
			for cust := first; cust < added; cust++ {
				for slot := range opt.PerCustomer {
					if !file(cust, slot) {
						return
					}
				}
			}
			continue
		}
		// A change to one to four records of one customer already added.
		cust := rng.IntN(added)
		slots := rng.Perm(opt.PerCustomer)[:1+rng.IntN(4)]
		var ids []string
		for _, s := range slots {
			versions[cust*opt.PerCustomer+s]++
			ids = append(ids, r.recordID(cust, s))
		}
		if !emit(item{text: header(fmt.Sprintf("%s: update %s\n", r.Customers[cust], strings.Join(ids, ", ")))}, nil) {
			return
		}
		for _, s := range slots {
			if !file(cust, s) {
				return
			}
		}
	}
}

// encrypt renders and encrypts one version of a record for its path's
// creation rule, with a fresh data key as dossier new would.
func (r *synthRepo) encrypt(rules *sopsfile.Rules, rel string, cust, slot, version int) ([]byte, error) {
	rule, err := rules.For(rel)
	if err != nil {
		return nil, err
	}
	plain := r.plaintext(cust, slot, version)
	out, err := sopsfile.Encrypt(plain, rule)
	if err != nil {
		return nil, fmt.Errorf("encrypting %s: %w", rel, err)
	}
	return out, nil
}

// Fictional values: invented names and companies, e-mail and host names
// under the reserved .example top-level domain, random telephone digits.
var (
	firstNames = []string{"Anna", "Bram", "Chantal", "Daan", "Eva", "Femke", "Gijs", "Hanneke", "Iris", "Joost", "Karin", "Lars", "Maaike", "Niels", "Olga", "Pieter", "Quinten", "Roos", "Sanne", "Thijs", "Ursula", "Vincent", "Willemijn", "Xander", "Yara", "Zeger", "Ayşe", "Mohamed", "Siobhan", "Łukasz"}
	lastNames  = []string{"de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "Yılmaz", "El Amrani", "O'Neill", "Kowalski"}
	companyA   = []string{"Noord", "Polder", "Delta", "Kade", "Gracht", "Molen", "Tulp", "Duin", "Haven", "Linde", "Eik", "Zilver", "Koper", "Horizon", "Brug"}
	companyB   = []string{"Installatietechniek", "Tandartsen", "Advocaten", "Bakkerij", "Architecten", "Accountants", "Logistiek", "Makelaardij", "Fysiotherapie", "Drukkerij", "Bouw", "Reclame", "Hoveniers", "Notariaat"}
	companyC   = []string{"B.V.", "V.O.F.", "& Zn.", "Groep", "B.V.", "Coöperatie U.A."}
	streets    = []string{"Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein", "Havenkade", "Industrieweg", "Schoolstraat", "Marktplein", "Nieuwe Gracht", "Parallelweg"}
	cities     = []string{"Utrecht", "Zwolle", "Deventer", "Amersfoort", "Haarlem", "Leiden", "Delft", "Tilburg", "Groningen", "Arnhem", "Breda", "Gouda"}
	osNames    = []string{"Debian 12", "Ubuntu 24.04 LTS", "Windows Server 2022", "Windows Server 2019", "Proxmox VE 8", "TrueNAS SCALE 24.04", "Synology DSM 7.2"}
	roles      = []string{"file server", "domain controller", "backup", "hypervisor", "mail relay", "print server", "accounting database"}
	routers    = []string{"MikroTik hAP ax2", "Ubiquiti UniFi Dream Machine", "FRITZ!Box 7590", "pfSense on Netgate 2100", "DrayTek Vigor 2865"}
	devices    = []struct{ typ, model string }{{"laptop", "Lenovo ThinkPad T14 Gen 4"}, {"laptop", "Dell Latitude 5440"}, {"laptop", "Apple MacBook Air M2"}, {"desktop", "HP EliteDesk 800 G6"}, {"phone", "Apple iPhone 14"}, {"phone", "Samsung Galaxy A54"}, {"tablet", "Apple iPad 10th gen"}, {"printer", "Brother MFC-L8900CDW"}, {"nas", "Synology DS923+"}, {"other", "APC Back-UPS Pro 1500"}}
	products   = []string{"Microsoft 365 Business Standard", "Microsoft 365 Business Premium", "Adobe Acrobat Pro", "AutoCAD LT", "Exact Online", "ESET PROTECT Entry", "Veeam Backup Essentials", "Google Workspace Business Starter"}
	systems    = []string{"mail", "vpn", "file server", "printer", "wifi", "accounting", "backup", "website", "phones", "laptop"}
	faults     = []string{"cannot open shared folder after password change", "printer shows offline for some users", "VPN disconnects every few minutes", "mailbox full, messages bounce", "backup job failed overnight", "laptop does not boot after update", "wifi slow in the meeting room", "invoice program reports a database error", "two-factor codes not arriving", "scanner sends to an old address"}
	fixes      = []string{"reset the share permissions and remapped the drive", "reinstalled the printer driver on the affected laptops", "raised the VPN keepalive and updated the client", "archived old mail and raised the quota", "replaced the full backup disk and reran the job", "rolled back the update and scheduled it again", "moved the access point and changed the channel", "repaired the database index", "re-registered the authenticator app", "updated the scan-to-mail address book"}
	works      = []string{"installed monthly security updates", "replaced the UPS battery", "renewed the TLS certificate", "tested restoring last week's backup", "updated firmware of the router and switches", "cleaned up stale user accounts", "expanded the storage pool with two disks", "migrated mailboxes to the new tenant"}
)

// rngFor makes the random source of one record: values that never change
// depend on the record only, those that change on its version too.
func (r *synthRepo) rngFor(cust, slot, version int) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%d/%d", r.Opt.Seed, cust, slot, version)
	return rand.New(rand.NewPCG(h.Sum64(), uint64(version)))
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func date(rng *rand.Rand, fromYear, toYear int) time.Time {
	from := time.Date(fromYear, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(toYear, 12, 31, 0, 0, 0, 0, time.UTC).Sub(from).Hours() / 24)
	return from.AddDate(0, 0, rng.IntN(days))
}

func ymd(t time.Time) string { return strconv.Quote(t.Format(time.DateOnly)) }

func q(s string) string { return strconv.Quote(s) }

func personName(rng *rand.Rand) (first, last string) {
	return pick(rng, firstNames), pick(rng, lastNames)
}

func emailOf(first, last, domain string) string {
	local := strings.ToLower(first + "." + strings.ReplaceAll(strings.ReplaceAll(last, " ", ""), "'", ""))
	var b strings.Builder
	for _, c := range local {
		if c < 128 {
			b.WriteRune(c)
		} else {
			b.WriteByte('x')
		}
	}
	return b.String() + "@" + domain
}

func phone(rng *rand.Rand) string {
	return fmt.Sprintf("+31 6 %04d %04d", rng.IntN(10000), rng.IntN(10000))
}

func secret(rng *rand.Rand, n int) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+-="
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (r *synthRepo) domain(cust int) string {
	rng := r.rngFor(cust, 0, 0)
	return strings.ToLower(pick(rng, companyA)+pick(rng, companyB)) + "-" + strconv.Itoa(cust+1) + ".example"
}

// userIDs are the ids of a customer's users, for references.
func (r *synthRepo) userIDs(cust int) []string {
	out := make([]string, r.counts[0])
	for i := range out {
		out[i] = fmt.Sprintf("u-%05d", cust*r.counts[0]+i+1)
	}
	return out
}

// plaintext renders one version of a record as the YAML an engineer would
// type: valid against schema/, every field of its kind used somewhere.
func (r *synthRepo) plaintext(cust, slot, version int) []byte {
	base := r.rngFor(cust, slot, 0)    // fixed facts of the record
	v := r.rngFor(cust, slot, version) // what a later commit changes
	id := r.recordID(cust, slot)
	cid := r.Customers[cust]
	k, n := r.slotKind(slot)
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	if k < 0 {
		crng := r.rngFor(cust, 0, 0)
		company := pick(crng, companyA) + " " + pick(crng, companyB) + " " + pick(crng, companyC)
		first, last := personName(v)
		line("kind: customer")
		line("id: %s", id)
		ended := base.IntN(10) == 0
		line("status: %s", map[bool]string{true: "ended", false: "active"}[ended])
		line("since: %s", ymd(date(base, 2008, 2024)))
		if ended {
			line("ended: %s", ymd(date(base, 2024, 2026))) // an ended customer says when
		}
		line("company_name: %s", q(company))
		line("vat_number: %s", q(fmt.Sprintf("NL%09dB%02d", base.IntN(1e9), 1+base.IntN(99))))
		line("address: %s", q(fmt.Sprintf("%s %d, %04d %c%c %s", pick(v, streets), 1+v.IntN(200), 1000+v.IntN(9000), 'A'+rune(v.IntN(26)), 'A'+rune(v.IntN(26)), pick(v, cities))))
		line("contact_name: %s", q(first+" "+last))
		line("email: %s", q(emailOf(first, last, r.domain(cust))))
		line("phone: %s", q(phone(v)))
		return []byte(b.String())
	}
	line("kind: %s", kindMix[k].kind)
	line("id: %s", id)
	line("customer: %s", cid)
	users := r.userIDs(cust)
	switch kindMix[k].kind {
	case "user":
		first, last := personName(base)
		line("full_name: %s", q(first+" "+last))
		line("email: %s", q(emailOf(first, last, r.domain(cust))))
		if base.IntN(3) > 0 {
			line("phone: %s", q(phone(base)))
		}
		line("role: %s", []string{"owner", "admin", "staff", "staff", "staff", "external"}[min(n, 5)])
		line("active: %t", v.IntN(8) > 0)
		line("accounts:")
		line("  - system: server")
		line("    host: srv-%02d.%s", 1+base.IntN(3), r.domain(cust))
		login, _, _ := strings.Cut(emailOf(first, last, "x"), "@")
		line("    login: %s", q(login))
		line("    password: %s", q(secret(v, 16)))
		for _, sys := range []string{"google-account", "apple-id", "microsoft-365", "vpn"} {
			if base.IntN(3) == 0 {
				line("  - system: %s", sys)
				line("    login: %s", q(emailOf(first, last, r.domain(cust))))
				line("    password: %s", q(secret(v, 14)))
			}
		}
	case "contract":
		start := date(base, 2012, 2025)
		line("type: %s", pick(base, []string{"support", "hosting", "licence", "project"}))
		line("start_date: %s", ymd(start))
		if n > 0 || v.IntN(3) == 0 {
			line("end_date: %s", ymd(start.AddDate(1+v.IntN(5), 0, -1)))
		}
		line("monthly_fee: %.2f", float64(2500+v.IntN(150000))/100)
		first, last := personName(base)
		line("billing_name: %s", q(first+" "+last))
		line("billing_address: %s", q(fmt.Sprintf("Postbus %d, %04d AA %s", 1+base.IntN(9999), 1000+base.IntN(9000), pick(base, cities))))
		line("signed_by: %s", q(first+" "+last))
	case "environment":
		line("site: %s", q([]string{"main office", "warehouse", "branch office", "home offices", "data room", "shop"}[n%6]))
		line("servers:")
		for i := range 1 + base.IntN(3) {
			line("  - hostname: srv-%02d.%s", i+1, r.domain(cust))
			line("    os: %s", q(pick(base, osNames)))
			line("    role: %s", q(pick(base, roles)))
			line("    ip: 192.168.%d.%d", 1+n, 10+i)
			line("    admin_login: %s", q(pick(base, []string{"administrator", "root", "beheer", "admin"})))
			line("    admin_password: %s", q(secret(v, 20)))
		}
		line("network:")
		line("  subnet: 192.168.%d.0/24", 1+n)
		line("  router: %s", q(pick(base, routers)))
		line("  wifi_ssid: %s", q(fmt.Sprintf("office-%d", 1+n)))
		line("  wifi_password: %s", q(secret(v, 18)))
		line("devices:")
		for range 2 + base.IntN(5) {
			d := pick(base, devices)
			line("  - type: %s", d.typ)
			line("    model: %s", q(d.model))
			line("    serial: %s", q(strings.ToUpper(secret(base, 8))))
			if d.typ == "laptop" || d.typ == "phone" || d.typ == "tablet" {
				line("    assigned_to: %s", pick(base, users))
			}
		}
		line("licences:")
		for range 1 + base.IntN(3) {
			line("  - product: %s", q(pick(base, products)))
			line("    seats: %d", 1+base.IntN(25))
			line("    expires: %s", ymd(date(v, 2025, 2028)))
			line("    licence_key: %s", q(fmt.Sprintf("%s-%s-%s-%s-%s", secret(base, 5), secret(base, 5), secret(base, 5), secret(base, 5), secret(base, 5))))
		}
	case "error":
		reported := date(base, 2019, 2025)
		line("reported: %s", ymd(reported))
		line("reported_by: %s", pick(base, users))
		line("system: %s", q(pick(base, systems)))
		line("severity: %s", pick(base, []string{"low", "normal", "normal", "high", "critical"}))
		fault := base.IntN(len(faults))
		closed := version > 0 || base.IntN(4) > 0
		if closed {
			line("status: closed")
			line("closed: %s", ymd(reported.AddDate(0, 0, 1+v.IntN(20))))
		} else {
			line("status: open")
		}
		first, _ := personName(base)
		line("description: %s", q(fmt.Sprintf("%s reports: %s.", first, faults[fault])))
		if closed {
			line("resolution: %s", q(fmt.Sprintf("%s; confirmed with %s.", fixes[fault], first)))
		}
	case "maintenance":
		when := date(base, 2019, 2025)
		line("date: %s", ymd(when))
		line("system: %s", q(pick(base, systems)))
		line("engineer: eng-%02d", 1+base.IntN(40))
		line("users: [%s]", strings.Join(users[:1+base.IntN(min(3, len(users)))], ", "))
		line("work: %s", q(pick(v, works)+"; "+pick(v, works)+"."))
		line("next_due: %s", ymd(when.AddDate(0, 3+v.IntN(9), 0)))
	}
	return []byte(b.String())
}
