package awsauthedit

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// Errors of the safety checks. Compare with errors.Is.
var (
	// ErrUnparseable: the current data cannot be parsed, so no entry-level
	// edit can be made to it (Restore can still replace it).
	ErrUnparseable = errors.New("aws-auth data does not parse")
	// ErrInvalidResult: the changed document has error problems, and the
	// authenticator would reject it as a whole.
	ErrInvalidResult = errors.New("the result would be rejected by the authenticator")
	// ErrLastAdmin: the change removes the last administrator mapping.
	ErrLastAdmin = errors.New("the change removes the last administrator mapping")
)

// mastersGroup is the group that bypasses every authorizer.
const mastersGroup = "system:masters"

// Guard configures the safety checks of Change and Restore.
type Guard struct {
	// CreatorARN is the cluster creator, whose implicit administrator access
	// does not depend on aws-auth; its own system:masters entry does not count
	// as the administrator mapping that must remain. Empty when unknown.
	CreatorARN string
	// Force skips the checks.
	Force bool
}

// Result is a checked change.
type Result struct {
	// Data is the complete new ConfigMap data: the keys that did not change
	// are the input's text, byte for byte.
	Data map[string]string
	// Changed lists the data keys whose value changed or was removed, sorted.
	Changed []string
	// Notes tell the operator what the edit did and why.
	Notes []string
	// Problems are the new document's problems (warnings, or errors when
	// Guard.Force let them through).
	Problems awsauth.Problems
}

// Unchanged reports whether the change leaves the data as it was.
func (r Result) Unchanged() bool { return len(r.Changed) == 0 }

// Change applies e to the ConfigMap data and checks the result (see the
// package documentation). data is not modified.
func Change(data map[string]string, e Edit, g Guard) (Result, error) {
	before, _, err := awsauth.Parse(data)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w; fix it by hand or put a backup back: kubeiam aws-auth restore BACKUP_FILE (add -f FILE when it is a file)", ErrUnparseable, err)
	}
	after, notes, err := e.Apply(before)
	if err != nil {
		return Result{}, err
	}
	out, changed, err := renderChanged(data, before, after)
	if err != nil {
		return Result{}, err
	}
	r := Result{Data: out, Changed: changed, Notes: notes}
	if r.Problems, err = check(before, out, g); err != nil {
		return Result{}, err
	}
	return r, nil
}

// Restore replaces the data with saved data (a backup) and checks the
// result as Change does. Every key of the saved data is restored and every
// other key removed.
func Restore(data, saved map[string]string, g Guard) (Result, error) {
	var before *awsauth.Document
	if doc, _, err := awsauth.Parse(data); err == nil {
		before = doc
	}
	out := maps.Clone(saved)
	if out == nil {
		out = map[string]string{}
	}
	r := Result{Data: out, Changed: changedKeys(data, out)}
	if before == nil {
		before = &awsauth.Document{}
	}
	var err error
	if r.Problems, err = check(before, out, g); err != nil {
		return Result{}, err
	}
	return r, nil
}

// renderChanged returns data with the interpreted keys whose entries
// changed rendered from after, and the keys that changed. A key left
// without entries is removed, as Render omits it.
func renderChanged(data map[string]string, before, after *awsauth.Document) (map[string]string, []string, error) {
	rendered, err := after.Render()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	out := maps.Clone(data)
	if out == nil {
		out = map[string]string{}
	}
	set := func(key string, same, appended bool) {
		if same {
			return
		}
		if appended {
			if v, ok := appendEntries(key, data[key], before, after); ok {
				out[key] = v
				return
			}
		}
		if v, ok := rendered[key]; ok {
			out[key] = v
		} else {
			delete(out, key)
		}
	}
	set(awsauth.KeyMapRoles, sameList(before.Roles, after.Roles), isAppend(before.Roles, after.Roles))
	set(awsauth.KeyMapUsers, sameList(before.Users, after.Users), isAppend(before.Users, after.Users))
	set(awsauth.KeyMapAccounts, sameList(before.Accounts, after.Accounts), isAppend(before.Accounts, after.Accounts))
	return out, changedKeys(data, out), nil
}

// isAppend reports whether b is a followed by more entries.
func isAppend[T any](a, b []T) bool {
	return len(a) > 0 && len(b) > len(a) && reflect.DeepEqual(a, b[:len(a)])
}

// appendEntries returns the text of key with the entries after has beyond
// before's appended to it, so that an addition leaves the existing entries'
// formatting and comments alone. It reports false when the text cannot
// simply be extended (a flow list, say): parsing the result must give
// after's entries back.
func appendEntries(key, text string, before, after *awsauth.Document) (string, bool) {
	if !strings.HasSuffix(text, "\n") {
		return "", false
	}
	var extra awsauth.Document
	switch key {
	case awsauth.KeyMapRoles:
		extra.Roles = after.Roles[len(before.Roles):]
	case awsauth.KeyMapUsers:
		extra.Users = after.Users[len(before.Users):]
	case awsauth.KeyMapAccounts:
		extra.Accounts = after.Accounts[len(before.Accounts):]
	}
	r, err := extra.Render()
	if err != nil {
		return "", false
	}
	out := text + r[key]
	got, _, err := awsauth.Parse(map[string]string{key: out})
	if err != nil {
		return "", false
	}
	want := &awsauth.Document{}
	switch key {
	case awsauth.KeyMapRoles:
		want.Roles = after.Roles
	case awsauth.KeyMapUsers:
		want.Users = after.Users
	case awsauth.KeyMapAccounts:
		want.Accounts = after.Accounts
	}
	if !reflect.DeepEqual(got.Roles, want.Roles) || !reflect.DeepEqual(got.Users, want.Users) || !reflect.DeepEqual(got.Accounts, want.Accounts) {
		return "", false
	}
	return out, true
}

// sameList compares two entry lists, nil and empty alike.
func sameList[T any](a, b []T) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// check runs the safety checks on the new data and returns its problems.
func check(before *awsauth.Document, data map[string]string, g Guard) (awsauth.Problems, error) {
	after, ps, err := awsauth.Parse(data)
	if err != nil {
		if g.Force {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidResult, err)
	}
	if g.Force {
		return ps, nil
	}
	if errs := ps.Errors(); len(errs) > 0 {
		lines := make([]string, len(errs))
		for i, p := range errs {
			lines[i] = "  " + p.String()
		}
		return nil, fmt.Errorf("%w, because of:\n%s\nfix or remove those entries (the whole document is refused while one is invalid), or pass --force", ErrInvalidResult, strings.Join(lines, "\n"))
	}
	creator := ""
	if g.CreatorARN != "" {
		creator, _ = arn.Key(g.CreatorARN)
	}
	if len(Admins(before, creator)) > 0 && len(Admins(after, creator)) == 0 {
		var who string
		if creator == "" {
			who = "no one (the cluster creator is not known: pass --creator-arn if it should count)"
		} else {
			who = "only the cluster creator " + g.CreatorARN
		}
		return nil, fmt.Errorf("%w (group %s): afterwards %s could administer the cluster through aws-auth; map another administrator first, or pass --force", ErrLastAdmin, mastersGroup, who)
	}
	return ps, nil
}

// Admins returns the ARNs (or sso patterns) of the valid entries that map
// to the group system:masters, leaving out the principal whose arn.Key is
// exceptKey.
func Admins(doc *awsauth.Document, exceptKey string) []string {
	var out []string
	ps := awsauth.Validate(doc)
	invalid := func(key string, i int) bool {
		for _, p := range ps {
			if p.Key == key && p.Index == i && p.Severity == awsauth.Error {
				return true
			}
		}
		return false
	}
	for i, r := range doc.Roles {
		if !slices.Contains(r.Groups, mastersGroup) || invalid(awsauth.KeyMapRoles, i) {
			continue
		}
		if r.SSO != nil {
			out = append(out, "sso:"+r.SSO.AccountID+":"+r.SSO.PermissionSetName)
			continue
		}
		if k, err := arn.Key(r.RoleARN); err == nil && k != exceptKey {
			out = append(out, r.RoleARN)
		}
	}
	for i, u := range doc.Users {
		if !slices.Contains(u.Groups, mastersGroup) || invalid(awsauth.KeyMapUsers, i) {
			continue
		}
		if k, err := arn.Key(u.UserARN); err == nil && k != exceptKey {
			out = append(out, u.UserARN)
		}
	}
	return out
}

// changedKeys returns the keys added, removed or changed from a to b, sorted.
func changedKeys(a, b map[string]string) []string {
	var out []string
	for _, k := range unionKeys(a, b) {
		va, inA := a[k]
		vb, inB := b[k]
		if inA != inB || va != vb {
			out = append(out, k)
		}
	}
	return out
}

func unionKeys(a, b map[string]string) []string {
	ks := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}
