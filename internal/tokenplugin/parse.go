package tokenplugin

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse reads args the way cobra's pflag reads the same Specs in "kubeiam
// token": --name value, --name=value, -i value, -i=value, -ivalue, bool
// flags alone or as --name=true|false, and "--" ending the flags. It is
// here, not pflag, because pflag links package net, and with it the
// dynamic loader, into every kubectl command. Positional arguments are
// returned.
func Parse(specs []Spec, args []string) ([]string, error) {
	byName := map[string]*Spec{}
	for i := range specs {
		s := &specs[i]
		if s.String != nil {
			*s.String = s.Default
		}
		byName["--"+s.Name] = s
		if s.Shorthand != "" {
			byName["-"+s.Shorthand] = s
		}
	}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i+1:]...), nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		s, ok := byName[name]
		if !ok && !strings.HasPrefix(a, "--") && len(a) > 2 {
			// -ivalue
			if s, ok = byName[a[:2]]; ok {
				name, value, hasValue = a[:2], a[2:], true
			}
		}
		if !ok {
			if strings.HasPrefix(a, "--") {
				return nil, usagef("unknown flag: %s", name)
			}
			return nil, usagef("unknown shorthand flag: %q in %s", a[1:2], a)
		}
		if s.Bool != nil {
			v := true
			if hasValue {
				b, err := strconv.ParseBool(value)
				if err != nil {
					return nil, usagef("invalid argument %q for %q flag: %v", value, name, err)
				}
				v = b
			}
			*s.Bool = v
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, usagef("flag needs an argument: %s", name)
			}
			i++
			value = args[i]
		}
		*s.String = value
	}
	return rest, nil
}

// Usage is the flags' help, one per line, as pflag prints them.
func Usage(specs []Spec) string {
	var b strings.Builder
	for _, s := range specs {
		short := "    "
		if s.Shorthand != "" {
			short = "-" + s.Shorthand + ", "
		}
		kind := " string"
		if s.Bool != nil {
			kind = ""
		}
		usage := s.Usage
		if s.Default != "" {
			usage += fmt.Sprintf(" (default %q)", s.Default)
		}
		fmt.Fprintf(&b, "  %s--%-22s %s\n", short, s.Name+kind, usage)
	}
	return b.String()
}
