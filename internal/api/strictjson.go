package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// checkMembers walks a JSON request body and refuses what encoding/json
// would resolve silently: a member given twice ("principalArn" twice, the
// last one winning), members whose names differ only in letter case
// ("principalArn" and "PRINCIPALARN"), and a member name in another letter
// case than the EKS API's ("PrincipalArn"), which encoding/json matches
// case-insensitively. t is the Go type the body decodes into; members of
// maps (tags) may have any name but still not twice. A body that is not
// JSON is left for decode to refuse.
func checkMembers(body []byte, t reflect.Type) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	err := walkValue(d, t, "")
	if _, ok := err.(*Error); ok {
		return err
	}
	return nil
}

// walkValue reads one JSON value from d, checking the member names of
// every object in it against t.
func walkValue(d *json.Decoder, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(d, t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for d.More() {
			if err := walkValue(d, elem, path+"[]"); err != nil {
				return err
			}
		}
		_, err = d.Token() // ']'
		return err
	}
	return nil
}

func walkObject(d *json.Decoder, t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = jsonFields(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]string{} // lowercase name → name as given
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if other, dup := seen[strings.ToLower(name)]; dup {
			if other == name {
				return invalidParameter("The request body is invalid: the member " + quote(path, name) + " is given more than once.")
			}
			return invalidParameter("The request body is invalid: the members " + quote(path, other) + " and " + quote(path, name) +
				" differ only in letter case; give it once, as the EKS API spells it.")
		}
		seen[strings.ToLower(name)] = name
		next := elem
		if fields != nil {
			ft, ok := fields[name]
			if !ok {
				for known := range fields {
					if strings.EqualFold(known, name) {
						return invalidParameter("The request body is invalid: " + quote(path, name) + " is not a member of the request; member names are case-sensitive: " + quote(path, known) + ".")
					}
				}
				// Unknown members are decode's to refuse, with its message.
			}
			next = ft
		}
		if err := walkValue(d, next, path+name+"."); err != nil {
			return err
		}
	}
	_, err := d.Token() // '}'
	return err
}

// jsonFields maps the JSON member names of struct t to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func quote(path, name string) string {
	const max = 64
	if len(name) > max {
		name = name[:max] + "..."
	}
	return `"` + path + name + `"`
}
