package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stockroomhq/stockroom"
	remote "github.com/stockroomhq/stockroom/fetch"
	"github.com/stockroomhq/stockroom/intake"
)

// intakeFlags are the serve flags of remote fetches, background downloads
// and local files.
type intakeFlags struct {
	connectTimeout time.Duration
	idleTimeout    time.Duration
	overallTimeout time.Duration
	maxRemoteSize  string
	concurrency    int
	queueCap       int
	retention      time.Duration
}

// register adds the flags to fs, with their environment variables; a
// variable that does not parse is reported in badEnv under its flag.
func (f *intakeFlags) register(fs *flag.FlagSet, getenv func(string) string, badEnv map[string]string) {
	dur := func(p *time.Duration, name, env string, def time.Duration, usage string) {
		fs.DurationVar(p, name, envDuration(getenv, badEnv, name, env, def, false), usage+" ("+env+")")
	}
	num := func(p *int, name, env string, def int, usage string) {
		if v := getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				badEnv[name] = fmt.Sprintf("%s=%q is not a positive number", env, v)
			} else {
				def = n
			}
		}
		fs.IntVar(p, name, def, usage+" ("+env+")")
	}
	dur(&f.connectTimeout, "remote-connect-timeout", "REMOTE_CONNECT_TIMEOUT", remote.DefaultConnectTimeout, "how long a remote fetch may take to connect")
	dur(&f.idleTimeout, "remote-idle-timeout", "REMOTE_IDLE_TIMEOUT", remote.DefaultIdleTimeout, "how long a remote fetch may wait for the next byte")
	dur(&f.overallTimeout, "remote-overall-timeout", "REMOTE_OVERALL_TIMEOUT", remote.DefaultOverallTimeout, "how long one remote fetch may take in all")
	def := "2GiB"
	if v := getenv("MAX_REMOTE_SIZE"); v != "" {
		def = v
	}
	fs.StringVar(&f.maxRemoteSize, "max-remote-size", def, "largest remote download, in bytes or with a unit (MAX_REMOTE_SIZE)")
	num(&f.concurrency, "download-concurrency", "DOWNLOAD_CONCURRENCY", intake.DefaultConcurrency, "background downloads running at once")
	num(&f.queueCap, "download-queue-cap", "DOWNLOAD_QUEUE_CAP", intake.DefaultQueueCap, "unfinished background downloads accepted before answering 503")
	dur(&f.retention, "download-retention", "DOWNLOAD_RETENTION", intake.DefaultRetention, "how long finished background downloads stay listed")
}

// check validates the values once parsed, and the -allow-private-fetch
// list.
func (f *intakeFlags) check(allowPrivate string) error {
	if _, err := remote.ParseAllowList(allowPrivate); err != nil {
		return &usageError{"-allow-private-fetch: " + err.Error()}
	}
	n, err := parseSize(f.maxRemoteSize)
	if err != nil {
		return &usageError{"-max-remote-size: " + err.Error()}
	}
	if n <= 0 {
		return &usageError{fmt.Sprintf("-max-remote-size %q: must be at least one byte", f.maxRemoteSize)}
	}
	for name, d := range map[string]time.Duration{"remote-connect-timeout": f.connectTimeout,
		"remote-idle-timeout": f.idleTimeout, "remote-overall-timeout": f.overallTimeout, "download-retention": f.retention} {
		if d <= 0 {
			return &usageError{fmt.Sprintf("-%s %v: must be positive", name, d)}
		}
	}
	if f.concurrency <= 0 || f.queueCap <= 0 {
		return &usageError{"-download-concurrency and -download-queue-cap must be positive"}
	}
	return nil
}

// apply puts the flags, the -alt-fs list and the -allow-private-fetch list
// into opts.
func (f *intakeFlags) apply(opts *stockroom.Options, altFS []string, allowPrivate string) error {
	allow, err := remote.ParseAllowList(allowPrivate)
	if err != nil {
		return &usageError{"-allow-private-fetch: " + err.Error()}
	}
	maxSize, _ := parseSize(f.maxRemoteSize)
	opts.Fetcher = &remote.Fetcher{
		Allow:          allow,
		ConnectTimeout: f.connectTimeout,
		IdleTimeout:    f.idleTimeout,
		OverallTimeout: f.overallTimeout,
		MaxSize:        maxSize,
	}
	opts.Jobs = intake.Config{Concurrency: f.concurrency, QueueCap: f.queueCap, Retention: f.retention}
	if len(altFS) > 0 {
		opts.AltFS = map[string]string{}
		for _, a := range altFS {
			key, path, _ := strings.Cut(a, ":")
			if _, dup := opts.AltFS[key]; dup {
				return &usageError{fmt.Sprintf("-alt-fs: key %q given twice", key)}
			}
			opts.AltFS[key] = path
		}
	}
	return nil
}
