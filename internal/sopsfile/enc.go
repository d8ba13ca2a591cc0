package sopsfile

import (
	"encoding/base64"
	"strings"
)

// EncError says why a value that starts like a SOPS encrypted value is not
// one. It never holds the value.
type EncError struct{ Msg string }

func (e *EncError) Error() string { return "not a well-formed encrypted value: " + e.Msg }

// encPrefix starts every value the SOPS AES-GCM cipher writes.
const encPrefix = "ENC[AES256_GCM,"

// IsENCLike reports whether s claims to be a SOPS encrypted value: it
// starts with "ENC[". ParseENC then says whether the claim holds.
func IsENCLike(s string) bool { return strings.HasPrefix(s, "ENC[") }

// encTypes are the plaintext types a record's encrypted value may hold:
// what sops writes for strings, numbers and booleans, and for comments
// (which the grammar refuses elsewhere). "bytes" and "time" are refused:
// dossier's schema has no field of either.
var encTypes = map[string]bool{"str": true, "int": true, "float": true, "bool": true, "comment": true}

// ParseENC decodes a SOPS encrypted value in full, keyless:
// ENC[AES256_GCM,data:<base64>,iv:<base64 of 32 bytes>,tag:<base64 of 16
// bytes>,type:<str|int|float|bool|comment>], in exactly that order, the
// base64 standard and padded, and nothing before or after. It returns the
// type. Every byte is accounted for, so a value that passes holds no
// readable text but its type; a forged "data:<name>" fails here.
func ParseENC(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, encPrefix+"data:")
	if !ok {
		return "", &EncError{"it must start with ENC[AES256_GCM,data:"}
	}
	data, rest, ok := strings.Cut(rest, ",iv:")
	if !ok {
		return "", &EncError{"no iv after the data"}
	}
	iv, rest, ok := strings.Cut(rest, ",tag:")
	if !ok {
		return "", &EncError{"no tag after the iv"}
	}
	tag, rest, ok := strings.Cut(rest, ",type:")
	if !ok {
		return "", &EncError{"no type after the tag"}
	}
	typ, ok := strings.CutSuffix(rest, "]")
	if !ok {
		return "", &EncError{"it must end with ]"}
	}
	if !validBase64(data) {
		return "", &EncError{"the data is not base64"}
	}
	if len(iv) != 44 || !validBase64(iv) {
		return "", &EncError{"the iv is not 32 bytes in base64"}
	}
	if len(tag) != 24 || !validBase64(tag) {
		return "", &EncError{"the tag is not 16 bytes in base64"}
	}
	if !encTypes[typ] {
		return "", &EncError{"the type is not one of str, int, float, bool (dossier reads no other)"}
	}
	return typ, nil
}

// validBase64 checks standard padded base64 without allocating: the
// alphabet, the length, "=" only as padding, and (by decoding the last
// quantum strictly) no stray bits in it.
func validBase64(s string) bool {
	if len(s)%4 != 0 {
		return false
	}
	if s == "" {
		return true
	}
	body := s[:len(s)-4]
	for i := 0; i < len(body); i++ {
		if !isBase64(body[i]) || body[i] == '=' {
			return false
		}
	}
	var dst [3]byte
	_, err := base64.StdEncoding.Strict().Decode(dst[:], []byte(s[len(s)-4:]))
	return err == nil
}
