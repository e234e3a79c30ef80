package fetcher

import (
	"archive/tar"
	"archive/zip"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Extract unpacks archive into dir if its name says it is an archive Mesos
// extracts. It reports whether it extracted anything.
func Extract(ctx context.Context, archive, dir string) (bool, error) {
	name := strings.ToLower(archive)
	var err error
	switch {
	case strings.HasSuffix(name, ".tar"):
		err = extractTarFile(archive, dir, func(r io.Reader) (io.Reader, error) { return r, nil })
	case strings.HasSuffix(name, ".tgz"), strings.HasSuffix(name, ".tar.gz"):
		err = extractTarFile(archive, dir, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) })
	case strings.HasSuffix(name, ".tbz2"), strings.HasSuffix(name, ".tar.bz2"):
		err = extractTarFile(archive, dir, func(r io.Reader) (io.Reader, error) { return bzip2.NewReader(r), nil })
	case strings.HasSuffix(name, ".txz"), strings.HasSuffix(name, ".tar.xz"):
		err = extractTarXz(ctx, archive, dir)
	case strings.HasSuffix(name, ".zip"):
		err = extractZip(archive, dir)
	case strings.HasSuffix(name, ".gz"):
		err = gunzip(archive, filepath.Join(dir, filepath.Base(archive[:len(archive)-3])))
	default:
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("failed to extract archive '%s' to '%s': %w", archive, dir, err)
	}
	return true, nil
}

// target resolves an archive member name inside dir, refusing names that
// would land outside it.
func target(dir, member string) (string, error) {
	for _, part := range strings.Split(filepath.ToSlash(member), "/") {
		if part == ".." {
			return "", fmt.Errorf("archive member %q points outside the sandbox", member)
		}
	}
	clean := filepath.Clean("/" + member)[1:]
	if clean == "" {
		return dir, nil
	}
	p := filepath.Join(dir, clean)
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("archive member %q points outside the sandbox", member)
	}
	// Refuse to write through a symlink an earlier member created.
	cur := dir
	parts := strings.Split(rel, string(filepath.Separator))
	for _, part := range parts[:len(parts)-1] {
		cur = filepath.Join(cur, part)
		if fi, err := os.Lstat(cur); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return "", fmt.Errorf("archive member %q passes through a symbolic link", member)
		}
	}
	return p, nil
}

func extractTarFile(archive, dir string, decompress func(io.Reader) (io.Reader, error)) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return err
	}
	return extractTar(r, dir)
}

func extractTar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p, err := target(dir, h.Name)
		if err != nil {
			return err
		}
		mode := os.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg, tar.TypeRegA:
			if err := writeFile(p, tr, mode); err != nil {
				return err
			}
		case tar.TypeSymlink:
			// A link may point anywhere; it is only followed by the task,
			// never by us while extracting (we refuse to write through it).
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			_ = os.Remove(p)
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
		case tar.TypeLink:
			src, err := target(dir, h.Linkname)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			_ = os.Remove(p)
			if err := os.Link(src, p); err != nil {
				return err
			}
		default:
			// Devices, fifos and the like are skipped.
		}
	}
}

// writeFile creates p (never following a symlink at p) with r's content.
func writeFile(p string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	if mode == 0 {
		mode = 0o644
	}
	if err := writeNoFork(p, mode, r); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}

func extractZip(archive, dir string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, zf := range zr.File {
		p, err := target(dir, zf.Name)
		if err != nil {
			return err
		}
		if zf.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return err
		}
		err = writeFile(p, rc, zf.Mode().Perm())
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func gunzip(src, dest string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	defer zr.Close()
	return writeFile(dest, zr, 0o644)
}

// extractTarXz pipes the archive through the xz program, if there is one.
func extractTarXz(ctx context.Context, archive, dir string) error {
	xz, err := exec.LookPath("xz")
	if err != nil {
		return errors.New("xz archives need the 'xz' program, which is not installed")
	}
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, xz, "-d", "-c")
	cmd.Stdin = f
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	terr := extractTar(out, dir)
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	if terr != nil {
		return terr
	}
	if werr != nil {
		return fmt.Errorf("'xz -d -c' failed: %v: %s", werr, strings.TrimSpace(stderr.String()))
	}
	return nil
}
