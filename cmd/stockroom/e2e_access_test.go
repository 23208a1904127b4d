//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tokenLine finds an API token in a command's output.
var tokenLine = regexp.MustCompile(`(?m)^(srt_[A-Za-z0-9_-]{40,})$`)

// TestE2EAuth makes the first admin and a token on the command line, then
// signs in to the running server as the reference CLI does (password,
// session, CSRF token, minted API token) and works with the token.
func TestE2EAuth(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	pwFile := filepath.Join(work, "pw")
	if err := os.WriteFile(pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runProc(t, nil, "users", "add", "-role", "admin", "-password-file", pwFile, "-data-dir", data, "root"); code != 0 {
		t.Fatalf("users add: exit %d:\n%s", code, out)
	}
	if code, out := runProc(t, nil, "users", "add", "-role", "admin", "-password-file", pwFile, "-data-dir", data, "root"); code == 0 || !strings.Contains(out, "taken") {
		t.Errorf("adding root twice: exit %d:\n%s", code, out)
	}
	if code, out := runProc(t, nil, "users", "add", "-role", "boss", "-password-file", pwFile, "-data-dir", data, "x"); code != 2 {
		t.Errorf("unknown role: exit %d, want 2:\n%s", code, out)
	}
	code, out := runProc(t, nil, "tokens", "create", "-user", "root", "-name", "setup", "-data-dir", data)
	m := tokenLine.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("tokens create: exit %d, no token in:\n%s", code, out)
	}
	cliToken := m[1]

	p := startServer(t, work, []string{"AUTH_ENABLED=1"}, "-bind-address", "127.0.0.1:0", "-data-dir", data)
	do := func(c *http.Client, method, path, token, ct string, body []byte, header ...string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, p.url("%s", path), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(header); i += 2 {
			if header[i] == "Host" {
				req.Host = header[i+1]
			} else {
				req.Header.Set(header[i], header[i+1])
			}
		}
		if c == nil {
			c = testClient
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	if status, b := do(nil, "GET", "/v1/resources", "", "", nil); status != http.StatusUnauthorized || !bytes.Contains(b, []byte(`"error"`)) {
		t.Fatalf("no credentials: %d %s", status, b)
	}
	if status, b := do(nil, "GET", "/v1/resources", cliToken, "", nil); status != http.StatusOK {
		t.Fatalf("token from the command line: %d %s", status, b)
	}
	if status, _ := do(nil, "GET", "/v1/resources", cliToken, "", nil, "Host", "rebound.attacker.example"); status != http.StatusForbidden {
		t.Errorf("foreign Host: %d", status)
	}

	// The reference CLI's "mr auth login".
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if status, _ := do(browser, "POST", "/v1/auth/login", "", "application/json", []byte(`{"username":"root","password":"nope"}`)); status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", status)
	}
	if status, b := do(browser, "POST", "/v1/auth/login", "", "application/json", []byte(`{"username":"root","password":"correct horse battery"}`)); status != http.StatusOK {
		t.Fatalf("login: %d %s", status, b)
	}
	status, b := do(browser, "GET", "/v1/auth/me", "", "", nil)
	var me struct {
		AuthEnabled bool   `json:"authEnabled"`
		Username    string `json:"username"`
		CSRFToken   string `json:"csrfToken"`
	}
	if err := json.Unmarshal(b, &me); status != http.StatusOK || err != nil || !me.AuthEnabled || me.Username != "root" || me.CSRFToken == "" {
		t.Fatalf("/v1/auth/me: %d %s", status, b)
	}
	status, b = do(browser, "POST", "/v1/account/tokens", "", "application/json", []byte(`{"name":"mr cli"}`), "X-CSRF-Token", me.CSRFToken)
	var minted struct{ Token string }
	if err := json.Unmarshal(b, &minted); status != http.StatusOK || err != nil || minted.Token == "" {
		t.Fatalf("mint: %d %s", status, b)
	}

	// From then on the token alone: an upload records who made it.
	ct, body := multipartBody(t, "a.png", testPNG(t), nil)
	status, b = do(nil, "POST", "/v1/resource", minted.Token, ct, body.Bytes())
	var res struct {
		ID        int64
		CreatedBy string
	}
	if err := json.Unmarshal(b, &res); status != http.StatusOK || err != nil || res.CreatedBy != "root (token mr cli)" {
		t.Fatalf("upload with the minted token: %d %s", status, b)
	}
	// The cookie alone cannot write: that is what another site's form
	// would carry.
	if status, _ := do(browser, "POST", "/v1/tag", "", "application/x-www-form-urlencoded", []byte("name=x")); status != http.StatusForbidden {
		t.Errorf("cookie write without X-CSRF-Token: %d", status)
	}
	if status, _ := do(nil, "POST", "/v1/tag", minted.Token, "application/x-www-form-urlencoded", []byte("name=x"), "Sec-Fetch-Site", "cross-site"); status != http.StatusForbidden {
		t.Errorf("cross-site write: %d", status)
	}
	p.stop(os.Interrupt)
}

// TestE2ENoAuthLoopbackOnly: without -auth the server refuses an address
// others can reach, unless told.
func TestE2ENoAuthLoopbackOnly(t *testing.T) {
	work := t.TempDir()
	code, out := runProc(t, nil, "-bind-address", "0.0.0.0:0", "-data-dir", filepath.Join(work, "d"))
	if code != 2 || !strings.Contains(out, "refusing to listen") || !strings.Contains(out, "-insecure-no-auth") {
		t.Fatalf("0.0.0.0 without auth: exit %d:\n%s", code, out)
	}
	p := startProc(t, work, []string{"INSECURE_NO_AUTH=true"}, "-bind-address", "0.0.0.0:0", "-data-dir", filepath.Join(work, "d"))
	select {
	case addr := <-p.stderr.addr:
		if !strings.Contains(addr, "[::]") && !strings.Contains(addr, "0.0.0.0") {
			t.Errorf("listening on %s", addr)
		}
	case <-p.done:
		t.Fatalf("exited with -insecure-no-auth: %v\n%s", p.err, p.stderr)
	case <-time.After(startTimeout):
		t.Fatalf("not listening:\n%s", p.stderr)
	}
	p.stop(os.Interrupt)
}
