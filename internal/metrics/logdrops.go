package metrics

import "github.com/prometheus/client_golang/prometheus"

// LogDropKinds are the values of the "record" label of
// kubeiam_log_records_dropped_total.
var LogDropKinds = []string{"denied", "granted", "other"}

// RegisterLogDrops exports dropped(kind), for each of LogDropKinds, as
// kubeiam_log_records_dropped_total{record=kind}: log records the server's
// asynchronous log writer dropped because its queue was full, so that a
// lost decision line is never silent.
func (m *Metrics) RegisterLogDrops(dropped func(kind string) uint64) {
	for _, kind := range LogDropKinds {
		m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "kubeiam", Name: "log_records_dropped_total",
			Help:        "Log records dropped because the log writer's queue was full, by record: denied, granted (the decision lines) or other.",
			ConstLabels: prometheus.Labels{"record": kind},
		}, func() float64 { return float64(dropped(kind)) }))
	}
}
