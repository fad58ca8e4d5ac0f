package localsts

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const validConfig = `
accounts:
- id: "111122223333"
  users:
  - name: alice
    path: /engineering/
    accessKeys:
    - accessKeyId: AKIAALICE00000000001
      secretAccessKey: alice-secret-0123456789
  roles:
  - name: AWSReservedSSO_AdminAccess_0123456789abcdef
    path: /aws-reserved/sso.amazonaws.com/us-east-1/
    trust: ["arn:aws:iam::111122223333:user/alice"]
  - name: everyone
    trust: ["*", "arn:aws:iam::444455556666:root"]
- id: "444455556666"
`

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.Partition != "aws" || c.Accounts[0].Roles[1].Path != "/" || c.Accounts[0].Users[0].Path != "/engineering/" {
		t.Errorf("defaults not applied: %+v", c)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(out)
	if err != nil {
		t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(c, back) {
		t.Errorf("round trip changed the config:\n%+v\n%+v", c, back)
	}
}

func TestParseConfigRejects(t *testing.T) {
	// Each case edits the valid config; the error must name the field.
	tests := []struct {
		name, old, new, wantField string
	}{
		{"unknown field", "  users:", "  userz:", "userz"},
		{"unknown partition", "accounts:", "partition: aws-moon\naccounts:", "partition"},
		{"short account ID", `"444455556666"`, `"44445555666"`, "accounts[1].id"},
		{"duplicate account", `"444455556666"`, `"111122223333"`, "accounts[1].id"},
		{"bad user name", "name: alice", "name: al ice", "accounts[0].users[0]"},
		{"path without a trailing slash", "path: /engineering/", "path: /engineering", "accounts[0].users[0].path"},
		{"key without AKIA", "AKIAALICE00000000001", "ASIAALICE00000000001", "accounts[0].users[0].accessKeys[0].accessKeyId"},
		{"lower-case key", "AKIAALICE00000000001", "AKIAalice00000000001", "accounts[0].users[0].accessKeys[0].accessKeyId"},
		{"short secret", "alice-secret-0123456789", "short", "accounts[0].users[0].accessKeys[0].secretAccessKey"},
		{"duplicate role ignoring case", "name: everyone", "name: awsreservedsso_adminaccess_0123456789abcdef", "accounts[0].roles[1].name"},
		{"trust not an ARN", `"*", "arn`, `"someone", "arn`, "accounts[0].roles[1].trust[0]"},
		{"trust of a group", "user/alice", "group/admins", "accounts[0].roles[0].trust[0]"},
		{"trust in another partition", "arn:aws:iam::444455556666:root", "arn:aws-cn:iam::444455556666:root", "accounts[0].roles[1].trust[1]"},
		{"service-linked role", "name: everyone", "name: everyone\n    path: /aws-service-role/eks.amazonaws.com/", "accounts[0].roles[1].path"},
		{"duplicate YAML key", "  - name: alice", "  - name: alice\n    name: bob", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(validConfig, tt.old) {
				t.Fatalf("test bug: %q not in the config", tt.old)
			}
			_, err := ParseConfig([]byte(strings.Replace(validConfig, tt.old, tt.new, 1)))
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error = %v, want ErrInvalidConfig naming %q", err, tt.wantField)
			}
		})
	}
	t.Run("duplicate access key across accounts", func(t *testing.T) {
		dup := validConfig + `  users:
  - name: bob
    accessKeys:
    - accessKeyId: AKIAALICE00000000001
      secretAccessKey: bob-secret-0123456789
`
		_, err := ParseConfig([]byte(dup))
		if err == nil || !strings.Contains(err.Error(), "accounts[1].users[0].accessKeys[0].accessKeyId") || !strings.Contains(err.Error(), "accounts[0].users[0].accessKeys[0]") {
			t.Errorf("error = %v, want both places named", err)
		}
	})
	t.Run("secrets never appear in errors", func(t *testing.T) {
		_, err := ParseConfig([]byte(strings.Replace(validConfig, "alice-secret-0123456789", "alice secret 0123456789", 1)))
		if err == nil || strings.Contains(err.Error(), "alice secret") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("no accounts", func(t *testing.T) {
		if _, err := ParseConfig([]byte("partition: aws\n")); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("error = %v", err)
		}
	})
}

func TestDevConfig(t *testing.T) {
	a, b := DevConfig(seeded(7)), DevConfig(seeded(7))
	if !reflect.DeepEqual(a, b) {
		t.Error("DevConfig is not deterministic for a given random source")
	}
	if reflect.DeepEqual(a, DevConfig(seeded(8))) {
		t.Error("DevConfig ignores its random source")
	}
	if err := a.Validate(); err != nil {
		t.Fatalf("DevConfig is invalid: %v", err)
	}
	keyID := regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`)
	for _, u := range a.Accounts[0].Users {
		k := u.AccessKeys[0]
		if !keyID.MatchString(k.AccessKeyID) || len(k.SecretAccessKey) != 40 {
			t.Errorf("user %s: key %q, secret length %d", u.Name, k.AccessKeyID, len(k.SecretAccessKey))
		}
	}
	srv, err := New(a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.Identity(a.Accounts[0].Users[0].AccessKeys[0].AccessKeyID)
	if err != nil || id.ARN != "arn:aws:iam::111122223333:user/creator" || !strings.HasPrefix(id.UserID, "AIDA") || len(id.UserID) != 21 {
		t.Errorf("Identity = %+v, %v", id, err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte("accounts: [{id: '111122223333', roles: [{name: r, trust: ['*']}]}]"))
	f.Add([]byte("partition: aws-cn\naccounts: []"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		// A valid config serves, and survives a round trip.
		if _, err := New(c, Options{}); err != nil {
			t.Fatalf("valid config refused by New: %v", err)
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseConfig(out); err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
	})
}
