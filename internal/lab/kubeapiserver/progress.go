package kubeapiserver

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress tells the user that a long step is still running and for how
// long: on a terminal a spinner redrawn in place, elsewhere (CI logs, a
// pipe) one line every lineEvery, which a log keeps readable.
type progress struct {
	out  io.Writer
	tty  bool
	what string
	// lineEvery is the interval of the "still ..." lines off a terminal.
	lineEvery time.Duration
	frame     int
	lines     int // "still ..." lines printed so far
}

const (
	progressName     = "kubeiam lab"
	spinnerFrames    = `|/-\`
	defaultLineEvery = 30 * time.Second
)

func newProgress(out io.Writer, tty bool, what string) *progress {
	if out == nil {
		out = io.Discard
	}
	return &progress{out: out, tty: tty, what: what, lineEvery: defaultLineEvery}
}

// start announces the step.
func (p *progress) start() {
	fmt.Fprintf(p.out, "%s: %s\n", progressName, p.what)
}

// tick reports that the step has run for elapsed.
func (p *progress) tick(elapsed time.Duration) {
	if p.tty {
		fmt.Fprintf(p.out, "\r\x1b[K%c %s elapsed", spinnerFrames[p.frame%len(spinnerFrames)], formatElapsed(elapsed))
		p.frame++
		return
	}
	if due := time.Duration(p.lines+1) * p.lineEvery; elapsed >= due {
		p.lines = int(elapsed / p.lineEvery)
		fmt.Fprintf(p.out, "%s: still working, %s elapsed\n", progressName, formatElapsed(elapsed))
	}
}

// done ends the step: the spinner's line is cleared and the outcome printed.
func (p *progress) done(elapsed time.Duration, err error) {
	if p.tty {
		fmt.Fprint(p.out, "\r\x1b[K")
	}
	if err != nil {
		fmt.Fprintf(p.out, "%s: failed after %s\n", progressName, formatElapsed(elapsed))
		return
	}
	fmt.Fprintf(p.out, "%s: done in %s\n", progressName, formatElapsed(elapsed))
}

// run starts the step and ticks it from a goroutine until the returned
// function is called with the step's result.
func (p *progress) run(now func() time.Time) (stop func(error)) {
	begin := now()
	p.start()
	interval := time.Second
	if p.tty {
		interval = 200 * time.Millisecond
	}
	ticker := time.NewTicker(interval)
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case <-quit:
				return
			case <-ticker.C:
				p.tick(now().Sub(begin))
			}
		}
	}()
	var once sync.Once
	return func(err error) {
		once.Do(func() {
			ticker.Stop()
			close(quit)
			<-exited
			p.done(now().Sub(begin), err)
		})
	}
}

// formatElapsed is a duration in whole seconds: 4m7s.
func formatElapsed(d time.Duration) string {
	return d.Truncate(time.Second).String()
}
