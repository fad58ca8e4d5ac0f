package awsauth

import (
	"bytes"
	"fmt"
	"maps"
	"unicode/utf8"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Render returns the ConfigMap data of the document as canonical YAML: in
// each entry the fields rolearn (or sso), username, groups (userarn first in
// mapUsers), empty fields omitted, account IDs always quoted, and keys with
// no entries left out. The keys in Other are returned unchanged. Parse of the
// result gives the document back.
//
// Render does not validate: call Validate first when the document was built
// in code. It fails only on text YAML cannot carry (invalid UTF-8).
func (d *Document) Render() (map[string]string, error) {
	out := make(map[string]string, len(d.Other)+3)
	maps.Copy(out, d.Other)
	if len(d.Roles) > 0 {
		seq := seqNode()
		for i, r := range d.Roles {
			m := mapNode()
			if r.RoleARN != "" {
				addStr(m, fieldRoleARN, r.RoleARN)
			}
			if r.SSO != nil {
				s := mapNode()
				addStr(s, "permissionSetName", r.SSO.PermissionSetName)
				addQuoted(s, "accountID", r.SSO.AccountID)
				addStr(s, fieldPartition, r.SSO.Partition)
				m.Content = append(m.Content, strNode("sso"), s)
			}
			addStr(m, fieldUserID, r.UserID)
			addStr(m, fieldUsername, r.Username)
			addList(m, fieldGroups, r.Groups)
			if err := checkUTF8(m); err != nil {
				return nil, fmt.Errorf("render %s entry %d: %w", KeyMapRoles, i, err)
			}
			seq.Content = append(seq.Content, m)
		}
		if err := encode(out, KeyMapRoles, seq); err != nil {
			return nil, err
		}
	}
	if len(d.Users) > 0 {
		seq := seqNode()
		for i, u := range d.Users {
			m := mapNode()
			addStr(m, fieldUserARN, u.UserARN)
			addStr(m, fieldUserID, u.UserID)
			addStr(m, fieldUsername, u.Username)
			addList(m, fieldGroups, u.Groups)
			if err := checkUTF8(m); err != nil {
				return nil, fmt.Errorf("render %s entry %d: %w", KeyMapUsers, i, err)
			}
			seq.Content = append(seq.Content, m)
		}
		if err := encode(out, KeyMapUsers, seq); err != nil {
			return nil, err
		}
	}
	if len(d.Accounts) > 0 {
		seq := seqNode()
		for _, a := range d.Accounts {
			seq.Content = append(seq.Content, quotedNode(a))
		}
		if err := checkUTF8(seq); err != nil {
			return nil, fmt.Errorf("render %s: %w", KeyMapAccounts, err)
		}
		if err := encode(out, KeyMapAccounts, seq); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func seqNode() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode} }
func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// quotedNode is a string always written in double quotes, so that an account
// ID never becomes a YAML number.
func quotedNode(s string) *yaml.Node {
	n := strNode(s)
	n.Style = yaml.DoubleQuotedStyle
	return n
}

func addStr(m *yaml.Node, k, v string) {
	if v != "" {
		m.Content = append(m.Content, strNode(k), strNode(v))
	}
}

func addQuoted(m *yaml.Node, k, v string) {
	if v != "" {
		m.Content = append(m.Content, strNode(k), quotedNode(v))
	}
}

func addList(m *yaml.Node, k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	seq := seqNode()
	for _, v := range vs {
		seq.Content = append(seq.Content, strNode(v))
	}
	m.Content = append(m.Content, strNode(k), seq)
}

// checkUTF8 refuses invalid UTF-8, which the YAML encoder would silently
// turn into !!binary base64 and so change the value.
func checkUTF8(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && !utf8.ValidString(n.Value) {
		return fmt.Errorf("%q is not valid UTF-8", n.Value)
	}
	for _, c := range n.Content {
		if err := checkUTF8(c); err != nil {
			return err
		}
	}
	return nil
}

func encode(out map[string]string, key string, n *yaml.Node) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return fmt.Errorf("render %s: %w", key, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("render %s: %w", key, err)
	}
	out[key] = buf.String()
	return nil
}
