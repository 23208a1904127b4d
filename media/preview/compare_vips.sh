#!/usr/bin/env bash
# compare_vips.sh measures previews of 12 MP and 24 MP JPEGs fitted in 256
# and 1024 boxes: Stockroom with BenchmarkPreview (in process, the file read
# from disk each time, nothing cached), and vipsthumbnail (libvips) one-shot
# on the same files: a new process per thumbnail, as a server shelling out
# to it would run. libvips is installed for this comparison only; Stockroom
# does not use it.
#
#	media/preview/compare_vips.sh          # RUNS=15 by default
#
# A one-shot Go program doing the same (process start, file read, preview,
# write) is timed beside vipsthumbnail. The JPEGs are generated once into
# $STOCKROOM_BENCH_DIR (default $TMPDIR or /tmp). On a busy machine, compare
# the CPU columns.
set -euo pipefail
cd "$(dirname "$0")"
export STOCKROOM_BENCH_DIR="${STOCKROOM_BENCH_DIR:-${TMPDIR:-/tmp}}"
runs="${RUNS:-15}"
if ! command -v vipsthumbnail >/dev/null; then
	echo "installing libvips-tools for the comparison" >&2
	apt-get install -y libvips-tools >/dev/null
fi

echo "== Stockroom: go test -bench Preview (ns/op is wall time per preview)"
go test -run '^$' -bench 'Preview' -benchtime "${runs}x" -count 1 .

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# The one-shot Go program, built from a temporary folder in the module.
tmp=$(mktemp -d ../../.oneshot-XXXXXX)
bin=$(mktemp)
trap 'rm -rf "$tmp" "$bin"' EXIT
cat >"$tmp/main.go" <<'GO'
package main

import (
	"context"
	"os"
	"strconv"

	"github.com/stockroomhq/stockroom/blobstore"
	"github.com/stockroomhq/stockroom/media/preview"
)

type fileOpener string

func (f fileOpener) Open(context.Context, blobstore.Hash) (blobstore.File, error) { return os.Open(string(f)) }

func main() {
	box, _ := strconv.Atoi(os.Args[2])
	s := &preview.Service{Blobs: fileOpener(os.Args[1])}
	p, err := s.Get(context.Background(), blobstore.Hash{}, "image/jpeg", preview.Box{Width: box, Height: box})
	if err != nil || p.Placeholder {
		os.Exit(1)
	}
	os.WriteFile(os.Args[3], p.Data, 0o644)
}
GO
go build -o "$bin" "./$tmp"

echo "== one-shot, median of $runs runs"
TIMEFORMAT='%R %U %S'
for f in 4000x3000 6000x4000; do
	in="$STOCKROOM_BENCH_DIR/stockroom-bench-$f.jpg"
	for size in 256 1024; do
		for tool in stockroom vipsthumbnail; do
			times=$(for _ in $(seq "$runs"); do
				if [ "$tool" = stockroom ]; then
					{ time "$bin" "$in" "$size" "$STOCKROOM_BENCH_DIR/go-out.jpg"; } 2>&1
				else
					{ time vipsthumbnail "$in" --size "$size" -o "$STOCKROOM_BENCH_DIR/vips-out.jpg[Q=85]"; } 2>&1
				fi
			done)
			wall=$(echo "$times" | awk '{print $1*1000}' | median)
			cpu=$(echo "$times" | awk '{print ($2+$3)*1000}' | median)
			printf '%-14s %-14s wall %7.1f ms   cpu %7.1f ms\n' "$f/$size" "$tool" "$wall" "$cpu"
		done
	done
done
