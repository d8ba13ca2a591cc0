#!/usr/bin/env bash
# make demo: dossier's main job end to end on a throwaway repository with a
# freshly generated key. Everything lives in one temp dir, removed at the end.
# All names and values below are fictional.
set -euo pipefail
DOSSIER=${DOSSIER:-dossier}
SOPS=${SOPS:-sops}
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/dossier-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT
export SOPS_AGE_KEY_FILE="$DEMO/key/keys.txt"   # a fresh key, not yours
export GIT_AUTHOR_NAME="Demo Engineer" GIT_AUTHOR_EMAIL="demo@vts.invalid"
export GIT_COMMITTER_NAME="Demo Engineer" GIT_COMMITTER_EMAIL="demo@vts.invalid"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '$ %s\n' "$*"; "$@"; }

step "1. A new records repository (and a new age key, since this demo has none)"
say "$DOSSIER" init "$DEMO/records"
cd "$DEMO/records"

step "2. Records for a customer and one of its users, encrypted on disk"
mkdir -p "$DEMO/plain"
cat > "$DEMO/plain/customer.yaml" <<'YAML'
kind: customer
id: c-0001
status: active
since: "2021-03-01"
company_name: Bakkerij Demo BV
contact_name: Anna Demo
email: anna@bakkerij-demo.invalid
phone: "+32 9 000 00 01"
YAML
cat > "$DEMO/plain/user.yaml" <<'YAML'
kind: user
id: u-0001
customer: c-0001
full_name: Anna Demo
email: anna@bakkerij-demo.invalid
role: owner
active: true
accounts:
  - system: google-account
    login: anna.demo
    password: Demo-Only-Secret-1
  - system: server
    host: srv-01.local
    login: anna
    password: Demo-Only-Secret-2
YAML
say "$DOSSIER" new customer records/c-0001/customer.yaml --from "$DEMO/plain/customer.yaml"
say "$DOSSIER" new user records/c-0001/users/u-0001.yaml --from "$DEMO/plain/user.yaml"
rm -rf "$DEMO/plain"
echo "On disk, only non-personal fields are readable:"
sed -n '1,12p' records/c-0001/users/u-0001.yaml

step "3. Decrypted view for a key holder, and the stock sops CLI reads the same file"
say "$DOSSIER" show records/c-0001/users/u-0001.yaml
say "$SOPS" --decrypt --extract '["role"]' records/c-0001/users/u-0001.yaml; echo

step "4. An edit through \$EDITOR (here a non-interactive sed), validated then re-encrypted"
EDITOR='sed -i s/role:\ owner/role:\ admin/' say "$DOSSIER" edit records/c-0001/users/u-0001.yaml
grep '^role:' records/c-0001/users/u-0001.yaml

step "5. Validation: with the key, and keyless as the git server does it"
say "$DOSSIER" validate
say "$DOSSIER" validate --keyless
git add -A && git -c core.hooksPath=/dev/null commit -qm "c-0001: customer and u-0001"

step "6. A record written in plaintext by hand is refused, naming file, line, field and fix"
cat > "$DEMO/u-0002.yaml" <<'YAML'
kind: user
id: u-0002
customer: c-0001
full_name: Bert Demo
role: staff
active: true
YAML
cp "$DEMO/u-0002.yaml" records/c-0001/users/u-0002.yaml
if "$DOSSIER" validate --keyless; then echo "unexpected: accepted"; exit 1; else echo "(exit $?: refused)"; fi
rm records/c-0001/users/u-0002.yaml

step "7. The git server refuses the same thing on push (a bare repository whose pre-receive hook runs dossier)"
git init -q --bare "$DEMO/server.git"
cp hooks/pre-receive "$DEMO/server.git/hooks/pre-receive"
export DOSSIER
git remote add origin "$DEMO/server.git"
PATH="$(dirname "$DOSSIER"):$PATH" git push -q origin main
cp "$DEMO/u-0002.yaml" records/c-0001/users/u-0002.yaml
git add -A && git -c core.hooksPath=/dev/null commit -qm "c-0001: add u-0002 (in plaintext, by mistake)"
if PATH="$(dirname "$DOSSIER"):$PATH" git push origin main 2>"$DEMO/push.err"; then echo "unexpected: accepted"; exit 1; fi
grep 'remote:' "$DEMO/push.err"
git reset -q --hard HEAD~1

step "8. A user asks what we hold about her: a copy and a report in Dutch, outside the repository"
cat >> dossier.yaml <<'YAML'
controller:
  name: VTS Demo bv
  address: Stationsstraat 1, 9000 Gent
  privacy_contact: de privacyverantwoordelijke
  email: privacy@vts-demo.invalid
YAML
git -c core.hooksPath=/dev/null commit -qam "settings: the controller that access reports name"
say "$DOSSIER" requests open --type access --subject c-0001/u-0001 --received 2026-11-18
say "$DOSSIER" export c-0001/u-0001 --request DSR-2026-0001 --out "$DEMO/access-u-0001" --close
echo "(a few lines of report.html, tags stripped:)"
sed -e 's/<[^>]*>/ /g' -e 's/  */ /g' "$DEMO/access-u-0001/report.html" | grep -E 'Dit rapport gaat over|Doeleinden|Volledige naam|Paswoord|Klacht'

step "9. Then she asks for erasure: one request, one reviewable commit, ids only"
say "$DOSSIER" requests open --type erasure --subject c-0001/u-0001 --received 2026-11-20
say "$DOSSIER" requests
say "$DOSSIER" erase c-0001/u-0001 --request DSR-2026-0002
git log -1 --format='%B'

step "10. An offline backup on a 'disk' (a directory standing in for the mounted backup disk)"
cat > dossier.yaml <<YAML
internal_hosts: []
backups:
  - name: disk-a
    url: $DEMO/disk-a/records.git
controller:
  name: VTS Demo bv
  address: Stationsstraat 1, 9000 Gent
  privacy_contact: de privacyverantwoordelijke
  email: privacy@vts-demo.invalid
YAML
mkdir -p "$DEMO/disk-a"   # the mounted disk
git -c core.hooksPath=/dev/null commit -qam "settings: backup disk-a"
say "$DOSSIER" backup
say "$DOSSIER" backup verify disk-a

step "11. Erasure out of history: purge, the proof, and the backup disk follows"
say "$DOSSIER" purge --request DSR-2026-0002
say "$DOSSIER" verify-erasure DSR-2026-0002
if "$DOSSIER" verify-erasure DSR-2026-0002 --mirror "$DEMO/disk-a/records.git" >/dev/null; then echo "unexpected: disk already clean"; exit 1; fi
echo "(the disk still holds the erased data until the next backup)"
say "$DOSSIER" backup
say "$DOSSIER" verify-erasure DSR-2026-0002 --mirror "$DEMO/disk-a/records.git"

echo
echo "Done. Everything above ran in $DEMO (removed now); your own keys and repositories were not touched."
