package access

import "testing"

func TestEntryTypesAndModesParse(t *testing.T) {
	for _, typ := range EntryTypes() {
		if got, err := ParseEntryType(string(typ)); err != nil || got != typ {
			t.Errorf("ParseEntryType(%s) = %s, %v", typ, got, err)
		}
	}
	for _, m := range Modes() {
		if got, err := ParseMode(string(m)); err != nil || got != m {
			t.Errorf("ParseMode(%s) = %s, %v", m, got, err)
		}
	}
}
