package actors

import (
	"context"
	"log/slog"

	"github.com/sirupsen/logrus"
)

// slogBridge routes protoactor's slog output into the node's logrus logger,
// one level quieter (protoactor logs routine connection churn as errors):
// Error→Warn, Warn→Info, Info→Debug, Debug→Trace.
type slogBridge struct {
	log    *logrus.Logger
	attrs  []slog.Attr
	prefix string
}

func newSlogBridge(l *logrus.Logger) *slogBridge { return &slogBridge{log: l} }

func bridgeLevel(l slog.Level) logrus.Level {
	switch {
	case l >= slog.LevelError:
		return logrus.WarnLevel
	case l >= slog.LevelWarn:
		return logrus.InfoLevel
	case l >= slog.LevelInfo:
		return logrus.DebugLevel
	default:
		return logrus.TraceLevel
	}
}

func (h *slogBridge) Enabled(_ context.Context, l slog.Level) bool {
	return h.log.IsLevelEnabled(bridgeLevel(l))
}

func (h *slogBridge) Handle(_ context.Context, r slog.Record) error {
	fields := make(logrus.Fields, len(h.attrs)+r.NumAttrs()+1)
	fields["component"] = "protoactor"
	for _, a := range h.attrs {
		fields[a.Key] = a.Value.Resolve().Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		fields[h.prefix+a.Key] = a.Value.Resolve().Any()
		return true
	})
	h.log.WithFields(fields).Log(bridgeLevel(r.Level), "protoactor: "+r.Message)
	return nil
}

func (h *slogBridge) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = make([]slog.Attr, 0, len(h.attrs)+len(as))
	c.attrs = append(c.attrs, h.attrs...)
	for _, a := range as {
		a.Key = h.prefix + a.Key
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *slogBridge) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}
