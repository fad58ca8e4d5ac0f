package awsauth

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/identity"
)

// Index answers which aws-auth entry maps a caller, in constant time
// whatever the number of entries: an exact map keyed by arn.Key for mapRoles
// and mapUsers, a map keyed by partition, account and permission set for the
// sso entries, and a set of mapAccounts. It is immutable and safe for
// concurrent use.
type Index struct {
	exact    map[string]entry // arn.Key → role or user entry
	sso      map[string]entry // ssoKey → sso role entry
	accounts map[string]int   // account → mapAccounts index
	// groupLists are the distinct group lists, entry.groups indexes them;
	// the first is empty.
	groupLists [][]string
	// userIDs holds the userid of the exact entries that have one, by key:
	// few entries do, and a field in every entry would cost 16 bytes each.
	userIDs map[string]string
	// names (sorted by lowercased name) and permissionSets serve NearMisses.
	names          []nameRef
	permissionSets map[string][]principalRef // lowercased permission set name
}

// entry is an indexed role or user entry. It is kept small, and its
// strings are the parsed document's (the document itself is dropped): an
// aws-auth can hold 100,000 of them.
type entry struct {
	matched  string
	username string
	groups   uint32 // in Index.groupLists
	index    int32
	source   listKey
	viaPath  bool
}

// listKey is the aws-auth list an entry is in, in one byte.
type listKey uint8

const (
	inMapRoles listKey = iota
	inMapUsers
)

func (k listKey) String() string {
	if k == inMapUsers {
		return KeyMapUsers
	}
	return KeyMapRoles
}

// Match is the entry that maps a caller.
type Match struct {
	// Source is the list the entry is in: "mapRoles", "mapUsers" or "mapAccounts".
	Source string
	// Index is the entry's position in that list.
	Index int
	// MatchedARN is what the entry said: its rolearn or userarn; for an sso
	// entry the role pattern arn:PARTITION:iam::ACCOUNT:role/AWSReservedSSO_SET_*;
	// for mapAccounts the account ID.
	MatchedARN string
	// ViaPath is true when the entry matched only because kubeiam ignores
	// paths (a rolearn with a path) or through an sso permission set, forms
	// EKS's authenticator did not match the same way.
	ViaPath bool
	// UsernameTemplate is the entry's username; for mapAccounts the caller's
	// canonical ARN, as in aws-iam-authenticator.
	UsernameTemplate string
	// GroupTemplates are the entry's groups; none for mapAccounts.
	GroupTemplates []string
}

// Errors returned by Match.Expand, besides those of Expand. Compare with errors.Is.
var (
	// ErrEmptyUsername: the username template expands to nothing.
	ErrEmptyUsername = errors.New("username expands to an empty string")
	// ErrEmptyGroup: a group template expands to nothing.
	ErrEmptyGroup = errors.New("group expands to an empty string")
	// ErrReservedUsername: the expanded username is in a reserved namespace
	// (see the reserved-username problem), which a template must not reach.
	ErrReservedUsername = errors.New("username expands into a reserved namespace")
)

// NewIndex indexes a document. Parse's contract is that a document with
// Error problems is not applied; NewIndex fails closed on its own too, by
// leaving out every entry that has an Error problem. When entries name the
// same principal, the first one wins.
func NewIndex(doc *Document) *Index {
	ix := &Index{
		accounts:       map[string]int{},
		groupLists:     [][]string{nil},
		userIDs:        map[string]string{},
		permissionSets: map[string][]principalRef{},
	}
	if doc == nil {
		ix.exact, ix.sso = map[string]entry{}, map[string]entry{}
		return ix
	}
	ix.exact = make(map[string]entry, len(doc.Roles)+len(doc.Users))
	ix.sso = map[string]entry{}
	ix.names = make([]nameRef, 0, len(doc.Roles)+len(doc.Users))
	groups := groupSets{}
	addUserID := func(key, userID string) {
		if userID != "" {
			ix.userIDs[key] = userID
		}
	}
	for i, r := range doc.Roles {
		if validateRole(i, r, entryLines{}).HasErrors() {
			continue
		}
		key, viaPath, ok := roleKey(r)
		if !ok {
			continue
		}
		e := entry{source: inMapRoles, index: int32(i), matched: r.RoleARN, viaPath: viaPath, username: r.Username, groups: ix.groupsOf(groups, r.Groups)}
		target := ix.exact
		if r.SSO != nil {
			s := r.SSO
			e.matched = fmt.Sprintf("arn:%s:iam::%s:role/%s%s_*", s.partition(), s.AccountID, ssoRolePrefix, s.PermissionSetName)
			target = ix.sso
			ix.addPermissionSet(s, i)
		} else {
			ix.addName(inMapRoles, i, r.RoleARN)
		}
		if _, dup := target[key]; !dup {
			target[key] = e
			if r.SSO == nil {
				addUserID(key, r.UserID)
			}
		}
	}
	for i, u := range doc.Users {
		if validateUser(i, u, entryLines{}).HasErrors() {
			continue
		}
		key, ok := userKey(u)
		if !ok {
			continue
		}
		ix.addName(inMapUsers, i, u.UserARN)
		if _, dup := ix.exact[key]; !dup {
			ix.exact[key] = entry{source: inMapUsers, index: int32(i), matched: u.UserARN, username: u.Username, groups: ix.groupsOf(groups, u.Groups)}
			addUserID(key, u.UserID)
		}
	}
	for i, a := range doc.Accounts {
		if _, dup := ix.accounts[a]; !dup && arn.ValidAccount(a) {
			ix.accounts[a] = i
		}
	}
	ix.sortNames()
	return ix
}

// sameString returns b when it equals a: an ARN written in its canonical
// form is its own key (roleKey, userKey), and the index then holds one copy
// of it.
func sameString(a, b string) string {
	if a == b {
		return b
	}
	return a
}

// groupSets numbers the distinct group lists, by their items joined.
type groupSets map[string]uint32

// groupsOf returns the number of a group list in ix.groupLists, adding it
// when new: entries with the same groups share one copy.
func (ix *Index) groupsOf(g groupSets, groups []string) uint32 {
	if len(groups) == 0 {
		return 0
	}
	k := groups[0]
	if len(groups) > 1 {
		k = strings.Join(groups, "\x00")
	}
	if n, ok := g[k]; ok && slices.Equal(ix.groupLists[n], groups) {
		return n
	}
	n := uint32(len(ix.groupLists))
	ix.groupLists = append(ix.groupLists, slices.Clone(groups))
	g[k] = n
	return n
}

// Lookup returns the entry that maps the caller: an exact mapRoles or
// mapUsers entry first (an assumed-role session matches its role), then an
// sso entry for the caller's permission set, then mapAccounts. False means
// no entry maps the caller; that is a denial, not an error.
func (ix *Index) Lookup(id identity.Identity) (Match, bool) {
	p, ok := principalOf(id)
	if !ok {
		return Match{}, false
	}
	k := p.Key()
	if e, ok := ix.exact[k]; ok && ix.boundTo(k, id) {
		return ix.match(e), true
	}
	if p.Kind == arn.KindRole || p.Kind == arn.KindAssumedRole {
		if set, ok := ssoPermissionSet(p.Name); ok {
			if e, ok := ix.sso["sso:"+ssoKey(p.Partition, p.Account, set)]; ok {
				return ix.match(e), true
			}
		}
	}
	if i, ok := ix.accounts[p.Account]; ok {
		username := id.CanonicalARN
		if username == "" {
			username = p.Canonical()
		}
		return Match{Source: KeyMapAccounts, Index: i, MatchedARN: p.Account, UsernameTemplate: username}, true
	}
	return Match{}, false
}

// principalOf returns the caller's parsed ARN, parsing it when the identity
// was built without one.
func principalOf(id identity.Identity) (arn.Principal, bool) {
	if id.Principal.Kind != arn.KindUnknown {
		return id.Principal, true
	}
	p, err := arn.Parse(id.ARN)
	return p, err == nil
}

// boundTo reports whether an entry with a userid maps the caller: the
// caller's STS UserId ("AROA...:session", "AIDA...") must begin with it.
// A caller without a UserId (an ARN explained on trust) is not refused.
func (ix *Index) boundTo(key string, id identity.Identity) bool {
	userID := ix.userIDs[key]
	if userID == "" || id.UserID == "" {
		return true
	}
	uid, _, _ := strings.Cut(id.UserID, ":")
	return uid == userID
}

func (ix *Index) match(e entry) Match {
	return Match{Source: e.source.String(), Index: int(e.index), MatchedARN: e.matched, ViaPath: e.viaPath,
		UsernameTemplate: e.username, GroupTemplates: slices.Clone(ix.groupLists[e.groups])}
}

// Expand returns the Kubernetes username and groups of the match for the
// caller's variables. v.EC2PrivateDNSName is called at most once. A username
// that expands to nothing, or into a reserved namespace (a session named
// "system" with "{{SessionNameRaw}}:admin", say), is an error, and so is a
// templated group that expands into one (system:{{SessionName}}).
func (m Match) Expand(v Vars) (string, []string, error) {
	if resolve := v.EC2PrivateDNSName; resolve != nil {
		var name string
		var err error
		done := false
		v.EC2PrivateDNSName = func() (string, error) {
			if !done {
				name, err = resolve()
				done = true
			}
			return name, err
		}
	}
	username, err := Expand(m.UsernameTemplate, v)
	if err != nil {
		return "", nil, fmt.Errorf("username: %w", err)
	}
	if username == "" {
		return "", nil, ErrEmptyUsername
	}
	if why := reservedUsername(username); why != "" {
		return "", nil, fmt.Errorf("%w: %q: %s", ErrReservedUsername, username, why)
	}
	groups := make([]string, 0, len(m.GroupTemplates))
	for i, t := range m.GroupTemplates {
		g, err := Expand(t, v)
		if err != nil {
			return "", nil, fmt.Errorf("group %d: %w", i, err)
		}
		if g == "" {
			return "", nil, fmt.Errorf("group %d: %w", i, ErrEmptyGroup)
		}
		if why := reservedGroup(t, g); why != "" {
			return "", nil, fmt.Errorf("group %d: %w: %q: %s", i, ErrReservedGroup, g, why)
		}
		groups = append(groups, g)
	}
	return username, groups, nil
}
