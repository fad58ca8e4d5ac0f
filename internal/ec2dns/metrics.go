package ec2dns

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collectors are the Resolver's metrics; a nil *collectors records nothing.
type collectors struct {
	lookups   *prometheus.CounterVec
	calls     *prometheus.CounterVec
	batchSize prometheus.Histogram
	latency   prometheus.Histogram
	entries   prometheus.Gauge
}

func newCollectors(reg prometheus.Registerer) (*collectors, error) {
	if reg == nil {
		return nil, nil
	}
	c := &collectors{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeiam", Subsystem: "ec2", Name: "private_dns_lookups_total",
			Help: "EC2 private DNS name lookups by result (hit, negative_hit, miss, shared, invalid).",
		}, []string{"result"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeiam", Subsystem: "ec2", Name: "describe_instances_calls_total",
			Help: "EC2 DescribeInstances calls by outcome.",
		}, []string{"outcome"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kubeiam", Subsystem: "ec2", Name: "describe_instances_batch_size",
			Help:    "Instance IDs per EC2 DescribeInstances call.",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000},
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kubeiam", Subsystem: "ec2", Name: "describe_instances_duration_seconds",
			Help: "EC2 DescribeInstances latency, the SDK's retries included.", Buckets: prometheus.DefBuckets,
		}),
		entries: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "kubeiam", Subsystem: "ec2", Name: "private_dns_cache_entries",
			Help: "Instances in the EC2 private DNS name cache, not-found answers included.",
		}),
	}
	for _, col := range []prometheus.Collector{c.lookups, c.calls, c.batchSize, c.latency, c.entries} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *collectors) lookup(result string) {
	if c != nil {
		c.lookups.WithLabelValues(result).Inc()
	}
}

func (c *collectors) call(fail *Error, ids int, d time.Duration) {
	if c == nil {
		return
	}
	var err error
	if fail != nil {
		err = fail
	}
	c.calls.WithLabelValues(Classify(err)).Inc()
	c.batchSize.Observe(float64(ids))
	c.latency.Observe(d.Seconds())
}

func (c *collectors) cacheSize(n int) {
	if c != nil {
		c.entries.Set(float64(n))
	}
}
