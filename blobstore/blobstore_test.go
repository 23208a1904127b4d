package blobstore_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockroomhq/stockroom/blobstore"
)

// helloHash is the SHA-256 of "hello".
const helloHash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

func TestParseHash(t *testing.T) {
	hello := blobstore.Hash(sha256.Sum256([]byte("hello")))
	tests := []struct {
		name    string
		in      string
		want    blobstore.Hash
		wantErr bool
	}{
		{name: "Lower", in: helloHash, want: hello},
		{name: "Upper", in: strings.ToUpper(helloHash), want: hello},
		{name: "Mixed", in: "2CF24dba" + helloHash[8:], want: hello},
		{name: "Zero", in: strings.Repeat("0", 64), want: blobstore.Hash{}},
		{name: "Empty", in: "", wantErr: true},
		{name: "Short", in: helloHash[:63], wantErr: true},
		{name: "Long", in: helloHash + "0", wantErr: true},
		{name: "Half", in: helloHash[:32], wantErr: true},
		{name: "NotHex", in: "g" + helloHash[1:], wantErr: true},
		{name: "Space", in: " " + helloHash[1:], wantErr: true},
		{name: "Prefixed", in: "sha256-" + helloHash, wantErr: true},
		{name: "Path", in: "2c/f2/" + helloHash[:58], wantErr: true},
		{name: "NonASCII", in: "é" + helloHash[2:], wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := blobstore.ParseHash(tt.in)
			if tt.wantErr {
				if !errors.Is(err, blobstore.ErrInvalidHash) {
					t.Fatalf("ParseHash(%q) error = %v, want ErrInvalidHash", tt.in, err)
				}
				if got != (blobstore.Hash{}) {
					t.Errorf("ParseHash(%q) returned %s with an error, want the zero Hash", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseHash(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseHash(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if s := got.String(); s != strings.ToLower(tt.in) {
				t.Errorf("String() = %q, want %q", s, strings.ToLower(tt.in))
			}
		})
	}
}

func TestHashFormat(t *testing.T) {
	h := blobstore.Hash(sha256.Sum256([]byte("hello")))
	if got := h.String(); got != helloHash {
		t.Errorf("String() = %q, want %q", got, helloHash)
	}
	if got, want := h.Path(), "2c/f2/"+helloHash; got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	if got, want := (blobstore.Hash{}).Path(), "00/00/"+strings.Repeat("0", 64); got != want {
		t.Errorf("zero Path() = %q, want %q", got, want)
	}
	if h.IsZero() {
		t.Errorf("IsZero() = true for %s", h)
	}
	if !(blobstore.Hash{}).IsZero() {
		t.Errorf("IsZero() = false for the zero Hash")
	}
}

func TestHashText(t *testing.T) {
	type doc struct {
		Hash blobstore.Hash            `json:"hash"`
		Seen map[blobstore.Hash]string `json:"seen"`
	}
	h := blobstore.Hash(sha256.Sum256([]byte("hello")))
	in := doc{Hash: h, Seen: map[blobstore.Hash]string{h: "hello"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if want := `{"hash":"` + helloHash + `","seen":{"` + helloHash + `":"hello"}}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}

	bad := []byte(`{"hash":"2cf2"}`)
	if err := json.Unmarshal(bad, &out); !errors.Is(err, blobstore.ErrInvalidHash) {
		t.Errorf("Unmarshal(%s) error = %v, want ErrInvalidHash", bad, err)
	}
	var hp blobstore.Hash
	if err := hp.UnmarshalText([]byte("nope")); !errors.Is(err, blobstore.ErrInvalidHash) {
		t.Errorf("UnmarshalText(nope) error = %v, want ErrInvalidHash", err)
	}
	if !hp.IsZero() {
		t.Errorf("failed UnmarshalText changed the Hash to %s", hp)
	}
}

func TestErrNotFoundIsNotExist(t *testing.T) {
	err := errors.Join(errors.New("context"), blobstore.ErrNotFound)
	if !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("errors.Is(err, ErrNotFound) = false")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false")
	}
}

func FuzzParseHash(f *testing.F) {
	f.Add(helloHash)
	f.Add(strings.ToUpper(helloHash))
	f.Add("")
	f.Add("zz" + helloHash[2:])
	f.Fuzz(func(t *testing.T, s string) {
		h, err := blobstore.ParseHash(s)
		if err != nil {
			if !errors.Is(err, blobstore.ErrInvalidHash) {
				t.Fatalf("ParseHash(%q) error %v does not wrap ErrInvalidHash", s, err)
			}
			if !h.IsZero() {
				t.Fatalf("ParseHash(%q) returned %s with an error", s, h)
			}
			return
		}
		// Accepted input is exactly a hash in hex, in any case.
		str := h.String()
		if !strings.EqualFold(str, s) || str != strings.ToLower(str) {
			t.Fatalf("ParseHash(%q).String() = %q", s, str)
		}
		again, err := blobstore.ParseHash(str)
		if err != nil || again != h {
			t.Fatalf("ParseHash(String()) = %s, %v; want %s", again, err, h)
		}
		var u blobstore.Hash
		text, _ := h.MarshalText()
		if err := u.UnmarshalText(text); err != nil || u != h {
			t.Fatalf("text round trip = %s, %v; want %s", u, err, h)
		}
		if p := h.Path(); p != str[:2]+"/"+str[2:4]+"/"+str {
			t.Fatalf("Path() = %q", p)
		}
	})
}

// TestHashSQL: a Hash goes to the database as its lowercase hex text and
// comes back from it, whatever form the driver returns the text in.
func TestHashSQL(t *testing.T) {
	hello := blobstore.Hash(sha256.Sum256([]byte("hello")))
	v, err := hello.Value()
	if err != nil || v != helloHash {
		t.Errorf("Value() = %v, %v; want %q", v, err, helloHash)
	}
	if v, err := (blobstore.Hash{}).Value(); err != nil || v != "" {
		t.Errorf("zero Value() = %#v, %v; want the empty string", v, err)
	}
	for _, src := range []any{helloHash, []byte(helloHash), strings.ToUpper(helloHash)} {
		var h blobstore.Hash
		if err := h.Scan(src); err != nil || h != hello {
			t.Errorf("Scan(%#v) = %s, %v; want %s", src, h, err, hello)
		}
	}
	for _, src := range []any{nil, "", []byte{}} {
		h := hello
		if err := h.Scan(src); err != nil || !h.IsZero() {
			t.Errorf("Scan(%#v) = %s, %v; want the zero Hash", src, h, err)
		}
	}
	for _, src := range []any{"abc", helloHash[:63] + "g", int64(7)} {
		h := hello
		if err := h.Scan(src); !errors.Is(err, blobstore.ErrInvalidHash) {
			t.Errorf("Scan(%#v) error = %v, want ErrInvalidHash", src, err)
		}
	}
}
