// Package fetcher downloads a command's URIs into a container's sandbox, as
// Mesos' fetcher does (without its cache).
//
// A URI is an http(s) URL (fetched with net/http, only what it names), an
// absolute local path, or a file:// URI. It lands in the sandbox under its
// base name or under output_file. If executable is set the file is made
// executable (0755) and never extracted; otherwise, when extract is set (the
// default), archives are unpacked into the sandbox: .tar, .tgz, .tar.gz,
// .tbz2, .tar.bz2, .zip, and .txz/.tar.xz when an xz program is installed; a
// bare .gz file is decompressed next to itself without the suffix. Errors
// name the URI that failed and why. What happens is logged, line by line, to
// the writer the caller gives (the sandbox's stderr file).
package fetcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
)

// Fetcher fetches URIs. The zero value is ready to use.
type Fetcher struct {
	// Client fetches http(s) URIs; default http.DefaultClient.
	Client *http.Client
	// FrameworksHome resolves relative paths (Mesos' --frameworks_home);
	// without it relative paths are an error.
	FrameworksHome string
	// Now stamps log lines; default time.Now.
	Now func() time.Time
}

// Error says which URI failed and why.
type Error struct {
	URI string
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("failed to fetch '%s': %v", e.URI, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Fetch fetches every URI into sandbox (which must exist), in order, and
// stops at the first failure. log may be nil.
func (f *Fetcher) Fetch(ctx context.Context, uris []*mesos.CommandInfo_URI, sandbox string, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	if len(uris) == 0 {
		return nil
	}
	st, err := os.Stat(sandbox)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("sandbox %q is not a directory", sandbox)
	}
	for _, u := range uris {
		if err := ctx.Err(); err != nil {
			return &Error{URI: u.GetValue(), Err: err}
		}
		f.logf(log, "Fetching URI '%s'", u.GetValue())
		dest, err := f.fetchOne(ctx, u, sandbox, log)
		if err != nil {
			e := &Error{URI: u.GetValue(), Err: err}
			f.logf(log, "Failed to fetch '%s': %v", u.GetValue(), err)
			return e
		}
		f.logf(log, "Fetched '%s' to '%s'", u.GetValue(), dest)
	}
	f.logf(log, "Successfully fetched all URIs into '%s'", sandbox)
	return nil
}

func (f *Fetcher) logf(w io.Writer, format string, args ...any) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	fmt.Fprintf(w, "%s fetcher: %s\n", now().Format("2006-01-02 15:04:05.000000"), fmt.Sprintf(format, args...))
}

func (f *Fetcher) fetchOne(ctx context.Context, u *mesos.CommandInfo_URI, sandbox string, log io.Writer) (string, error) {
	raw := strings.TrimLeft(u.GetValue(), " \t\r\n")
	name, err := Basename(raw)
	if err != nil {
		return "", err
	}
	if out := u.GetOutputFile(); out != "" {
		clean := filepath.Clean(out)
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return "", fmt.Errorf("output_file %q must be a relative path inside the sandbox", out)
		}
		if dir := filepath.Dir(clean); dir != "." {
			if err := os.MkdirAll(filepath.Join(sandbox, dir), 0o755); err != nil {
				return "", fmt.Errorf("unable to create subdirectory %s in sandbox: %w", dir, err)
			}
		}
		name = clean
	}
	if name == "" || name == "." || name == "/" {
		return "", errors.New("cannot tell a file name from the URI; set output_file")
	}
	dest := filepath.Join(sandbox, name)

	switch {
	case isNetURI(raw):
		if err := f.download(ctx, raw, dest, log); err != nil {
			return "", err
		}
	default:
		src, err := f.localPath(raw)
		if err != nil {
			return "", err
		}
		f.logf(log, "Copying resource from '%s' to '%s'", src, dest)
		if err := copyFile(src, dest); err != nil {
			return "", err
		}
	}

	if u.GetExecutable() {
		if err := os.Chmod(dest, 0o755); err != nil {
			return "", fmt.Errorf("failed to chmod executable '%s': %w", dest, err)
		}
		return dest, nil
	}
	if u.Extract == nil || u.GetExtract() {
		extracted, err := Extract(ctx, dest, sandbox)
		if err != nil {
			return "", err
		}
		if extracted {
			f.logf(log, "Extracted '%s' into '%s'", dest, sandbox)
		} else if u.Extract != nil {
			f.logf(log, "Copying instead of extracting resource from URI with 'extract' flag, because it does not seem to be an archive: %s", raw)
		}
	}
	return dest, nil
}

func isNetURI(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// Basename is the file name a URI is stored under without output_file: the
// part after the last '/', as Mesos computes it (query strings included).
func Basename(uri string) (string, error) {
	if strings.ContainsAny(uri, "\\'\x00") {
		return "", errors.New("illegal characters in URI")
	}
	if i := strings.Index(uri, "://"); i > 1 {
		p := uri[i+3:]
		slash := strings.IndexByte(p, '/')
		if slash < 0 || len(p) <= slash+1 {
			return "", fmt.Errorf("malformed URI (missing path): %s", uri)
		}
		return p[strings.LastIndexByte(p, '/')+1:], nil
	}
	return path.Base(uri), nil
}

// localPath turns a path or file:// URI into an absolute local path.
func (f *Fetcher) localPath(raw string) (string, error) {
	isFile := strings.HasPrefix(raw, "file://")
	if !isFile && strings.Contains(raw, "://") {
		scheme := raw[:strings.Index(raw, "://")]
		return "", fmt.Errorf("unsupported URI scheme %q (supported: http, https, file, local paths)", scheme)
	}
	p := raw
	if isFile {
		pu, err := url.Parse(raw)
		if err != nil {
			return "", fmt.Errorf("malformed file URI: %w", err)
		}
		if pu.Host != "" && pu.Host != "localhost" {
			return "", fmt.Errorf("file URI names host %q; only local files can be fetched", pu.Host)
		}
		p = pu.Path
		if !filepath.IsAbs(p) {
			return "", errors.New("file URI only supports absolute paths")
		}
	}
	if !filepath.IsAbs(p) {
		if f.FrameworksHome == "" {
			return "", errors.New("a relative path was passed for the resource but the Mesos framework home was not specified; either provide this config option or avoid using a relative path")
		}
		p = filepath.Join(f.FrameworksHome, p)
	}
	return p, nil
}

func copyFile(src, dest string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("'%s' is a directory", src)
	}
	return writeNoFork(dest, st.Mode().Perm()|0o200, in)
}

// writeNoFork writes r to dest while no process can be forked. A child
// forked while dest is open for writing inherits the descriptor until it
// execs, and exec'ing dest meanwhile fails with ETXTBSY ("Text file busy");
// holding syscall.ForkLock for reading keeps forks out (golang/go#22315).
// Only local copies run under the lock, so it is held briefly.
func writeNoFork(dest string, mode os.FileMode, r io.Reader) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (f *Fetcher) download(ctx context.Context, raw, dest string, log io.Writer) error {
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	f.logf(log, "Downloading resource from '%s' to '%s'", raw, dest)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return fmt.Errorf("error downloading resource: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("error downloading resource: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("error downloading resource, received HTTP return code %d", resp.StatusCode)
	}
	// Download into a temporary file (forks allowed: the network may be
	// slow), then copy it into place with forks held off.
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".fetch-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		return fmt.Errorf("error downloading resource: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return writeNoFork(dest, 0o644, tmp)
}
