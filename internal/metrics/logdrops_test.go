package metrics

import "testing"

func TestRegisterLogDropsExportsEachKind(t *testing.T) {
	m := New()
	counts := map[string]uint64{"denied": 3, "granted": 5}
	m.RegisterLogDrops(func(kind string) uint64 { return counts[kind] })
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "kubeiam_log_records_dropped_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "record" {
					got[l.GetValue()] = mt.GetCounter().GetValue()
				}
			}
		}
	}
	want := map[string]float64{"denied": 3, "granted": 5, "other": 0}
	if len(got) != len(want) || got["denied"] != 3 || got["granted"] != 5 || got["other"] != 0 {
		t.Fatalf("kubeiam_log_records_dropped_total = %v, want %v", got, want)
	}
}
