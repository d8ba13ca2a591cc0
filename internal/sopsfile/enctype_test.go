package sopsfile

import (
	"regexp"
	"testing"
)

// encTypeRe is the specification of EncType.
var encTypeRe = regexp.MustCompile(`^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:([a-z]+)\]$`)

func checkEncType(t *testing.T, s string) {
	t.Helper()
	typ, ok := EncType(s)
	m := encTypeRe.FindStringSubmatch(s)
	if ok != (m != nil) || (ok && typ != m[1]) {
		t.Fatalf("EncType(%q) = %q, %v; the specification says %v", s, typ, ok, m)
	}
}

func TestEncType(t *testing.T) {
	for _, s := range []string{
		"ENC[AES256_GCM,data:d5vWAWAe3dhRHMIANQ==,iv:84/WL424DkdxFHLwPvMP8I19VCt4bTP/QyRBUWu3fas=,tag:BgB4mdj2+SUeBcC8Ny2sDg==,type:str]",
		"ENC[AES256_GCM,data:,iv:aa,tag:bb,type:str]",
		"ENC[AES256_GCM,data:x,iv:,tag:bb,type:str]",
		"ENC[AES256_GCM,data:x,iv:a,tag:,type:str]",
		"ENC[AES256_GCM,data:x,iv:a,tag:b,type:]",
		"ENC[AES256_GCM,data:x,iv:a,tag:b,type:Str]",
		"ENC[AES256_GCM,data:x,iv:a,tag:b,type:int]x",
		"ENC[AES256_GCM,data:x!,iv:a,tag:b,type:int]",
		"ENC[AES256_GCM,data:x,iv:a,tag:b,type:int]]",
		"ENC[AES256_GCM,data:x,tag:b,iv:a,type:int]",
		"ENC[",
		"plain",
		"",
	} {
		checkEncType(t, s)
	}
	if _, ok := EncType(42); ok {
		t.Fatal("EncType accepted a number")
	}
}

func FuzzEncType(f *testing.F) {
	f.Add("ENC[AES256_GCM,data:d5vW==,iv:84/W=,tag:BgB+g==,type:str]")
	f.Add("ENC[AES256_GCM,data:,iv:a,tag:b,type:bool]")
	f.Fuzz(func(t *testing.T, s string) { checkEncType(t, s) })
}
