package awsauthedit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	yaml "sigs.k8s.io/yaml/goyaml.v3"

	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// ErrFileFormat: an aws-auth file is neither a v1 ConfigMap manifest nor a
// map of string data keys.
var ErrFileFormat = errors.New("not an aws-auth file")

// File is an aws-auth file as GitOps repositories keep it: a full v1
// ConfigMap manifest, or the bare data map (mapRoles: |, ...). It is edited
// in place, as a YAML tree, so that its form, its other fields and its
// comments survive; JSON is read too, and written back as YAML.
type File struct {
	doc  *yaml.Node // the document node
	data *yaml.Node // the mapping of data keys; nil in a manifest without data
	// Manifest is true for a ConfigMap manifest, false for a bare data map.
	Manifest bool
}

// NewManifestFile returns the file written when there is none yet: a v1
// ConfigMap manifest of namespace/name with no data, ready for kubectl apply.
func NewManifestFile(namespace, name string) *File {
	meta := mapping("name", name, "namespace", namespace)
	top := mapping("apiVersion", "v1", "kind", "ConfigMap")
	top.Content = append(top.Content, scalar("metadata"), meta)
	return &File{doc: &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}, Manifest: true}
}

// ParseFile reads an aws-auth file.
func ParseFile(content []byte) (*File, error) {
	if strings.TrimSpace(string(content)) == "" {
		return nil, fmt.Errorf("%w: the file is empty (write {} for an empty mapping)", ErrFileFormat)
	}
	if !utf8.Valid(content) {
		// Without this, YAML reads a UTF-16 byte-order mark as another
		// encoding and reports "EOF", and other bytes as a bare scalar.
		return nil, fmt.Errorf("%w: not UTF-8 text (an invalid byte at offset %d); save the file as UTF-8", ErrFileFormat, invalidUTF8Offset(content))
	}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFileFormat, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document; keep the aws-auth ConfigMap alone in its file", ErrFileFormat)
	}
	if err := awsauth.CheckDuplicateKeys(content); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFileFormat, err)
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: want a ConfigMap manifest or a map of data keys, got a YAML %s", ErrFileFormat, kindName(top))
	}
	if top.Style&yaml.FlowStyle != 0 {
		blockStyle(&doc) // JSON in, YAML out
	}
	f := &File{doc: &doc}
	if lookup(top, "kind") != nil || lookup(top, "apiVersion") != nil {
		kind, version := lookup(top, "kind"), lookup(top, "apiVersion")
		if kind == nil || version == nil || kind.Value != "ConfigMap" || version.Value != "v1" {
			return nil, fmt.Errorf("%w: the manifest is not a v1 ConfigMap", ErrFileFormat)
		}
		f.Manifest = true
		f.data = lookup(top, "data")
		if f.data != nil && f.data.Kind == yaml.ScalarNode && f.data.ShortTag() == "!!null" {
			f.data = nil
			deleteKey(top, "data")
		}
	} else {
		f.data = top
	}
	if f.data != nil {
		if f.data.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%w: data is a YAML %s, want a map", ErrFileFormat, kindName(f.data))
		}
		for i := 0; i+1 < len(f.data.Content); i += 2 {
			if v := f.data.Content[i+1]; v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%w: line %d: the value of %s must be a string (write it as %s: |)", ErrFileFormat, v.Line, f.data.Content[i].Value, f.data.Content[i].Value)
			}
		}
	}
	return f, nil
}

// Data returns the ConfigMap data the file holds.
func (f *File) Data() map[string]string {
	out := map[string]string{}
	if f.data == nil {
		return out
	}
	for i := 0; i+1 < len(f.data.Content); i += 2 {
		out[f.data.Content[i].Value] = f.data.Content[i+1].Value
	}
	return out
}

// SetData makes the file hold data: keys whose value changed are rewritten
// as literal blocks, keys no longer present removed, new keys appended.
// Unchanged keys keep their node, style and comments.
func (f *File) SetData(data map[string]string) {
	if f.data == nil {
		f.data = &yaml.Node{Kind: yaml.MappingNode}
		top := f.doc.Content[0]
		top.Content = append(top.Content, scalar("data"), f.data)
	}
	old := f.Data()
	for k := range old {
		if _, ok := data[k]; !ok {
			deleteKey(f.data, k)
		}
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := data[k]
		if prev, ok := old[k]; ok && prev == v {
			continue
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: yaml.LiteralStyle}
		if v == "" {
			n.Style = yaml.DoubleQuotedStyle
		}
		if node := lookup(f.data, k); node != nil {
			n.HeadComment, n.LineComment = node.HeadComment, node.LineComment
			*node = *n
		} else {
			f.data.Content = append(f.data.Content, scalar(k), n)
		}
	}
}

// Bytes renders the file as YAML.
func (f *File) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f.doc); err != nil {
		return nil, fmt.Errorf("render aws-auth file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render aws-auth file: %w", err)
	}
	return buf.Bytes(), nil
}

// ManifestBytes renders data as a v1 ConfigMap manifest of namespace/name
// with the given labels and annotations, the form backups are written in.
func ManifestBytes(namespace, name string, labels, annotations, data map[string]string) ([]byte, error) {
	f := NewManifestFile(namespace, name)
	meta := lookup(f.doc.Content[0], "metadata")
	for _, kv := range []struct {
		key string
		m   map[string]string
	}{{"labels", labels}, {"annotations", annotations}} {
		if len(kv.m) == 0 {
			continue
		}
		keys := make([]string, 0, len(kv.m))
		for k := range kv.m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			m.Content = append(m.Content, scalar(k), scalar(kv.m[k]))
		}
		meta.Content = append(meta.Content, scalar(kv.key), m)
	}
	f.SetData(data)
	return f.Bytes()
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func mapping(kv ...string) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, scalar(kv[i]), scalar(kv[i+1]))
	}
	return m
}

// lookup returns the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = slices.Delete(m.Content, i, i+2)
			return
		}
	}
}

// blockStyle clears flow style everywhere, so that JSON is written as YAML.
func blockStyle(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0 {
		// The node keeps its !!str tag, so the encoder quotes where YAML
		// would read something else.
		n.Style = 0
		if strings.Contains(n.Value, "\n") {
			n.Style = yaml.LiteralStyle
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "value"
}

// invalidUTF8Offset returns the offset of the first byte that is not part
// of valid UTF-8.
func invalidUTF8Offset(b []byte) int {
	off := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return off
		}
		off += size
		b = b[size:]
	}
	return off
}
