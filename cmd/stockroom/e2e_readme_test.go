//go:build !windows

package main

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readmeStep is one command of the README's walk-through.
type readmeStep struct {
	line    int    // in README.md
	command string // continuation lines joined, comment removed
	status  int    // the HTTP status the README promises; 0 means any 2xx
	want    []string
}

// readmeWalkthrough reads the shell commands of the section "A walk through
// the API" (up to the next section of its level), with the status each
// trailing comment promises ("# 409") and the JSON fields the comment lines
// under it show (`# {"ID":1,"Name":"holiday",...}`).
func readmeWalkthrough(t *testing.T) []readmeStep {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []readmeStep
	in, inBlock := false, false
	sc := bufio.NewScanner(bytes.NewReader(b))
	n := 0
	var pending *readmeStep // a command continued on the next line
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## A walk through the API"
			continue
		case !in:
			continue
		case strings.HasPrefix(line, "```"):
			inBlock = !inBlock && line == "```sh"
			continue
		case !inBlock:
			continue
		}
		if pending != nil {
			pending.command += " " + strings.TrimSpace(line)
		} else {
			trimmed := strings.TrimSpace(line)
			if trimmed == "" {
				continue
			}
			if strings.HasPrefix(trimmed, "#") {
				if len(steps) > 0 && regexp.MustCompile(`^# [\[{]`).MatchString(trimmed) {
					last := &steps[len(steps)-1]
					last.want = append(last.want, jsonPairs(trimmed)...)
				}
				continue
			}
			pending = &readmeStep{line: n, command: trimmed}
		}
		if strings.HasSuffix(pending.command, `\`) {
			pending.command = strings.TrimSuffix(pending.command, `\`)
			continue
		}
		cmd, comment := splitComment(pending.command)
		pending.command = strings.Join(strings.Fields(cmd), " ")
		if m := regexp.MustCompile(`^#\s*([1-5]\d\d)\b`).FindStringSubmatch(comment); m != nil {
			pending.status, _ = strconv.Atoi(m[1])
		}
		steps = append(steps, *pending)
		pending = nil
	}
	if len(steps) < 20 {
		t.Fatalf("found %d commands in the README's walk-through; is the section still called \"A walk through the API\"?", len(steps))
	}
	return steps
}

// splitComment cuts a shell line at its comment: a # after a blank, outside
// quotes.
func splitComment(s string) (cmd, comment string) {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// jsonPairs are the "key":value pairs a comment shows, other than the
// abbreviated ones ("9f86d0...").
func jsonPairs(comment string) []string {
	var pairs []string
	for _, p := range regexp.MustCompile(`"\w+":(?:"[^"]*"|-?\d+(?:\.\d+)?|true|false|null|\[\])`).FindAllString(comment, -1) {
		if !strings.Contains(p, "...") {
			pairs = append(pairs, p)
		}
	}
	return pairs
}

// writeJPEG writes a w x h gradient.
func writeJPEG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestE2EReadmeWalkthrough follows the README's walk-through literally, top
// to bottom, with curl and the stockroom binary, against a server on a new
// data folder: every step answers 2xx, or the status its comment names, and
// shows the fields its comment shows.
func TestE2EReadmeWalkthrough(t *testing.T) {
	steps := readmeWalkthrough(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl to follow the README with")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to follow the README with")
	}
	bin := stockroomBinary(t)
	work := t.TempDir()
	writeJPEG(t, filepath.Join(work, "beach.jpg"), 64, 48)
	writeJPEG(t, filepath.Join(work, "beach-edit.jpg"), 40, 30)
	p := startServer(t, work, nil, "serve", "-bind-address", "127.0.0.1:0")
	hostPort := strings.TrimPrefix(p.base, "http://")
	env := cleanEnv("PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + filepath.Dir(curl) + string(os.PathListSeparator) + os.Getenv("PATH"))

	for _, s := range steps {
		command := strings.ReplaceAll(s.command, "localhost:8181", hostPort)
		isCurl := strings.HasPrefix(command, "curl ")
		if isCurl {
			command += ` --max-time 30 -w '\n%{http_code}'`
		}
		cmd := exec.Command(bash, "-c", command)
		cmd.Dir = work
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("README line %d: %s: %v\n%s%s\nserver:\n%s", s.line, s.command, err, out, stderr.Bytes(), p.stderr)
		}
		if !isCurl {
			continue
		}
		i := bytes.LastIndexByte(out, '\n')
		body, code := out[:max(i, 0)], string(out[i+1:])
		status, _ := strconv.Atoi(code)
		switch {
		case s.status == 0 && (status < 200 || status > 299):
			t.Errorf("README line %d: %s: status %s, want 2xx: %s", s.line, s.command, code, body)
		case s.status != 0 && status != s.status:
			t.Errorf("README line %d: %s: status %s, want %d as the README says: %s", s.line, s.command, code, s.status, body)
		}
		for _, w := range s.want {
			if !bytes.Contains(body, []byte(w)) {
				t.Errorf("README line %d: %s: the answer lacks %s, which the README shows:\n%s", s.line, s.command, w, body)
			}
		}
	}
	p.stop(os.Interrupt)
}
