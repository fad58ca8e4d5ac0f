package server

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
)

// NewLogger builds the server's logger: text or JSON, at a level, written
// synchronously to w.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	newHandler, err := handlerFor(format, level)
	if err != nil {
		return nil, err
	}
	return slog.New(newHandler(w)), nil
}

// NewAsyncLogger builds the logger NewLogger does, written to w by a
// background goroutine (decisionlog.Async), so that no request waits on the
// log's output; the caller must Close the returned Async before exiting, to
// write out what is queued. The lines are NewLogger's, byte for byte.
func NewAsyncLogger(w io.Writer, format, level string) (*slog.Logger, *decisionlog.Async, error) {
	newHandler, err := handlerFor(format, level)
	if err != nil {
		return nil, nil, err
	}
	a := decisionlog.NewAsync(w, decisionlog.DefaultAsyncQueue, newHandler)
	return slog.New(a), a, nil
}

func handlerFor(format, level string) (func(io.Writer) slog.Handler, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, opts) }, nil
	case "text", "":
		textOpts := *opts
		textOpts.ReplaceAttr = separateNotes
		return func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, &textOpts) }, nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// notesKey is the attribute of a decision's notes (package authn).
const notesKey = "notes"

// separateNotes writes a decision's notes, in the text log, one attribute
// each (notes.1="..." notes.2="..."): the text handler would print the list
// as one value, [first note second note], where one note runs into the
// next. The JSON log keeps them as an array.
func separateNotes(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 || a.Key != notesKey || a.Value.Kind() != slog.KindAny {
		return a
	}
	notes, ok := a.Value.Any().([]string)
	if !ok {
		return a
	}
	attrs := make([]slog.Attr, len(notes))
	for i, n := range notes {
		attrs[i] = slog.String(strconv.Itoa(i+1), n)
	}
	return slog.Attr{Key: a.Key, Value: slog.GroupValue(attrs...)}
}
