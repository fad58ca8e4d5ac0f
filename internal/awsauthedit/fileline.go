package awsauthedit

import yaml "sigs.k8s.io/yaml/goyaml.v3"

// FileLine returns the line of the file that holds line (1-based) of the
// value of data key, so that a problem found in the parsed value is
// reported where an editor shows it. It returns 0 when the value is not a
// block scalar (a quoted or flow string's lines do not map to the file's).
func (f *File) FileLine(key string, line int) int {
	if f.data == nil || line < 1 {
		return 0
	}
	v := lookup(f.data, key)
	if v == nil || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return 0
	}
	// A block scalar's node starts at its indicator ("mapRoles: |"); its
	// first content line is the next one.
	return v.Line + line
}
