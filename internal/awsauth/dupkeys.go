package awsauth

import (
	"bytes"
	"fmt"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// DuplicateKeyError is a YAML mapping in an aws-auth file (a ConfigMap
// manifest or a bare data map) that has the same key twice. Decoders keep
// one of the values silently (which one depends on the decoder), so two
// mapRoles would be resolved differently by different readers: the file is
// refused instead, as kubectl and kube-apiserver refuse such a manifest.
type DuplicateKeyError struct {
	// Key is the key given twice.
	Key string
	// Line and First are the 1-based lines, in the file, of the second and
	// first occurrence.
	Line, First int
}

// Error implements error.
func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("line %d: key %q given twice (first on line %d); keep one", e.Line, e.Key, e.First)
}

// CheckDuplicateKeys returns a *DuplicateKeyError for the first mapping of
// the YAML (or JSON) document in content that has a key twice, and nil
// otherwise, also when content does not parse: the decoder that follows
// reports that.
func CheckDuplicateKeys(content []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return nil // io.EOF, or a syntax error the caller's decoder reports
		}
		if err := duplicateKeys(&doc, 0); err != nil {
			return err
		}
	}
}

// maxKeyDepth bounds the walk; aws-auth files are three levels deep.
const maxKeyDepth = 64

func duplicateKeys(n *yaml.Node, depth int) error {
	if n == nil || depth > maxKeyDepth {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if line, dup := first[k.Value]; dup {
				return &DuplicateKeyError{Key: k.Value, Line: k.Line, First: line}
			}
			first[k.Value] = k.Line
		}
	}
	for _, c := range n.Content {
		if err := duplicateKeys(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}
