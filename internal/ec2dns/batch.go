package ec2dns

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// enqueue adds f to the batch being gathered: the first lookup of a batch
// starts its window, and a full batch is sent at once. r.mu must be held.
func (r *Resolver) enqueue(f *flight) {
	r.pending = append(r.pending, f)
	if len(r.pending) >= r.cfg.MaxBatch {
		r.send()
		return
	}
	if len(r.pending) == 1 {
		n := r.batch
		time.AfterFunc(r.cfg.BatchWindow, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.batch == n { // not sent already for being full
				r.send()
			}
		})
	}
}

// send starts the call for the gathered batch. r.mu must be held.
func (r *Resolver) send() {
	batch := r.pending
	r.pending = nil
	r.batch++
	if len(batch) > 0 {
		go r.run(batch)
	}
}

// run makes the batch's calls, then answers and caches every flight. The
// call has its own deadline, not a caller's: many callers share it.
func (r *Resolver) run(batch []*flight) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
	defer cancel()
	ids := make([]string, len(batch))
	for i, f := range batch {
		ids[i] = f.id
	}
	answers := make(map[string]answer, len(ids))
	r.describe(ctx, ids, answers)

	r.mu.Lock()
	now := r.cfg.Now()
	for _, f := range batch {
		a := answers[f.id]
		f.name, f.err = a.name, a.err
		delete(r.inflight, f.id)
		switch {
		case a.err == nil:
			r.cache.put(cacheEntry{id: f.id, name: a.name, expires: now.Add(r.cfg.TTL)})
		case errors.Is(a.err, ErrNotFound):
			r.cache.put(cacheEntry{id: f.id, err: a.err, expires: now.Add(r.cfg.NegativeTTL)})
		}
	}
	r.metrics.cacheSize(r.cache.len())
	r.mu.Unlock()
	for _, f := range batch {
		close(f.done)
	}
}

type answer struct {
	name string
	err  error
}

// describe asks EC2 about ids and records an answer for each. EC2 fails a
// whole call when any ID does not exist, naming the missing ones: those
// are answered "not found" and the rest asked again, so that one bad ID
// does not deny a batch of good ones. When the message names none of them,
// the batch is split in two; either way each retry asks about fewer IDs.
func (r *Resolver) describe(ctx context.Context, ids []string, out map[string]answer) {
	names, err := r.call(ctx, ids)
	if err == nil {
		for _, id := range ids {
			name, ok := names[id]
			switch {
			case !ok:
				out[id] = answer{err: notFound(id, "not in the answer")}
			case name == "":
				out[id] = answer{err: notFound(id, "no private DNS name")}
			case !validDNSName(name):
				out[id] = answer{err: &Error{InstanceID: id, class: ErrUnavailable, detail: "malformed private DNS name"}}
			default:
				out[id] = answer{name: name}
			}
		}
		return
	}
	if errors.Is(err.class, ErrNotFound) && len(ids) > 1 {
		missing := namedInstanceIDs(err.message, ids)
		if len(missing) == 0 {
			r.describe(ctx, ids[:len(ids)/2], out)
			r.describe(ctx, ids[len(ids)/2:], out)
			return
		}
		var rest []string
		for _, id := range ids {
			if slices.Contains(missing, id) {
				out[id] = answer{err: err.forID(id)}
			} else {
				rest = append(rest, id)
			}
		}
		if len(rest) > 0 {
			r.describe(ctx, rest, out)
		}
		return
	}
	for _, id := range ids {
		out[id] = answer{err: err.forID(id)}
	}
}

// call makes one DescribeInstances call and returns the private DNS name
// of each instance in the answer.
func (r *Resolver) call(ctx context.Context, ids []string) (map[string]string, *Error) {
	start := r.cfg.Now()
	resp, err := r.cfg.Client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	var fail *Error
	if err != nil {
		fail = callFailure(err)
	}
	r.metrics.call(fail, len(ids), r.cfg.Now().Sub(start))
	if fail != nil {
		r.cfg.Logger.Warn("ec2 DescribeInstances failed", "instances", len(ids),
			"outcome", Classify(fail), "code", fail.Code, "status", fail.StatusCode, "error", err)
		return nil, fail
	}
	names := make(map[string]string, len(ids))
	for _, res := range resp.Reservations {
		for _, in := range res.Instances {
			if in.InstanceId != nil && in.PrivateDnsName != nil {
				names[*in.InstanceId] = *in.PrivateDnsName
			}
		}
	}
	return names, nil
}
