package ledger

import (
	"reflect"
	"testing"
)

func erasedOf(r *Request) *Erased {
	e := &Erased{ID: r.ID, Type: r.Type, Subject: r.Subject, Status: r.Status, ErasedPaths: r.ErasedPaths, ErasedObjects: r.ErasedObjects}
	for _, k := range r.Kept {
		e.KeptPaths = append(e.KeptPaths, k.Path)
	}
	return e
}

func TestScanAgreesWithMarshal(t *testing.T) {
	reqs := []*Request{
		{ID: "DSR-2026-0001", Type: Access, Subject: "c-0001", Received: "2026-01-01", Due: "2026-02-01", Status: Open},
		{ID: "DSR-2026-0002", Type: Erasure, Subject: "c-0001/u-0001", Received: "2026-01-01", Due: "2026-02-01", Status: Done, Done: "2026-01-03", Commit: "abc1234",
			ErasedPaths:   []string{"records/c-0001/users/u-0001.yaml"},
			Kept:          []Kept{{Path: "records/c-0001/contracts/ct-0001.yaml", Basis: "legal-obligation: Dutch fiscal retention, art. 52 AWR (7 years after end_date)", Until: "2033-01-01"}},
			ErasedObjects: []string{"0123456789abcdef0123456789abcdef01234567", "1123456789abcdef0123456789abcdef01234567"},
			Purged:        &Purge{Date: "2026-01-04", Commits: 3, OldTips: []string{"0123456789abcdef0123456789abcdef01234567"}}},
		{ID: "DSR-2026-0003", Type: Retention, Received: "2026-01-01", Due: "2026-02-01", Status: Done, ErasedPaths: []string{"records/c-0002/contracts/ct-0002.yaml"}},
	}
	for _, r := range reqs {
		data, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := scanErasure(data)
		if r.Subject == "" {
			if ok {
				t.Errorf("%s: scanned an empty subject (the decoder must read it)", r.ID)
			}
			got, err = ReadErasure(data)
			if err != nil {
				t.Fatal(err)
			}
		} else if !ok {
			t.Fatalf("%s: the scanner refused what Marshal wrote:\n%s", r.ID, data)
		}
		if want := erasedOf(r); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: scanned %+v, want %+v", r.ID, got, want)
		}
	}
}

func FuzzScanAgrees(f *testing.F) {
	f.Add([]byte(Header + "\nid: DSR-2026-0001\ntype: erasure\nsubject: c-0001\nerased_objects:\n  - 0123456789abcdef0123456789abcdef01234567\n"))
	f.Add([]byte("id: DSR-2026-0001\nkept:\n  - path: records/c-0001/customer.yaml\n    basis: 'x'\npurged:\n  old_tips:\n    - abc\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := scanErasure(data)
		if !ok {
			return
		}
		r, err := Parse(data)
		if err != nil {
			return // the decoder refuses it; the scanner errs on keeping data out
		}
		want := erasedOf(r)
		if got.ID != want.ID || got.Type != want.Type || got.Subject != want.Subject || got.Status != want.Status ||
			!reflect.DeepEqual(got.ErasedObjects, want.ErasedObjects) || !reflect.DeepEqual(got.ErasedPaths, want.ErasedPaths) || !reflect.DeepEqual(got.KeptPaths, want.KeptPaths) {
			t.Fatalf("scanner %+v, decoder %+v", got, want)
		}
	})
}
