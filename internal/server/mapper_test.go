package server

import (
	"errors"
	"sync"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// fakeAccess is a store whose snapshot, generation and failure the test sets.
type fakeAccess struct {
	mu    sync.Mutex
	snap  access.Snapshot
	gen   uint64
	err   error
	reads int
}

func (f *fakeAccess) Snapshot() (access.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.err != nil {
		return access.Snapshot{}, f.err
	}
	s := f.snap
	s.Generation = f.gen
	return s, nil
}

func (f *fakeAccess) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

// set stores s as a new generation (or fails the reads with err).
func (f *fakeAccess) set(s access.Snapshot, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snap, f.err = s, err
	f.gen++
}

func (f *fakeAccess) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

const (
	mapCreator = "arn:aws:iam::111122223333:user/creator"
	mapAWSAuth = "arn:aws:iam::111122223333:role/fromconfigmap"
	mapEntry   = "arn:aws:iam::111122223333:role/fromentry"
)

func mapperState(mode access.Mode) access.Snapshot {
	entry := access.AccessEntry{PrincipalARN: mapEntry, Username: "entry-user", KubernetesGroups: []string{"entry-group"}, Type: "STANDARD"}
	key, _ := access.EntryKey(mapEntry)
	return access.Snapshot{
		Cluster: access.ClusterConfig{AuthenticationMode: mode, CreatorARN: mapCreator},
		Entries: map[string]access.AccessEntry{key: entry},
		Associations: map[string][]access.AccessPolicyAssociation{key: {{PrincipalARN: mapEntry,
			PolicyARN: authz.ViewPolicyARN, Scope: authz.Scope{Type: authz.ScopeCluster}}}},
	}
}

func mapperAWSAuth(t *testing.T) *awsauth.Document {
	t.Helper()
	doc, ps, err := awsauth.Parse(map[string]string{awsauth.KeyMapRoles: "- rolearn: " + mapAWSAuth + "\n  username: cm-user\n  groups: [cm-group]\n"})
	if err != nil || ps.HasErrors() {
		t.Fatalf("%v %v", err, ps)
	}
	return doc
}

func callerID(t *testing.T, callerARN string) identity.Identity {
	t.Helper()
	p, err := arn.Parse(callerARN)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromARN(callerARN, p.Account, "AIDAEXAMPLE", "AKIAEXAMPLE")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The real mapper's translation of the stored mode into the sources it
// consults (issue 10, "tests that guard the guards": breaking it was caught
// only by a 30-second e2e poll).
func TestMapperModes(t *testing.T) {
	type want struct {
		creator, awsAuth, entry string // the username each gets, "" for not mapped
	}
	tests := []struct {
		mode access.Mode
		want want
	}{
		{"", want{creator: resolve.CreatorUsername, awsAuth: "cm-user"}}, // no mode stored: CONFIG_MAP
		{access.ModeConfigMap, want{creator: resolve.CreatorUsername, awsAuth: "cm-user"}},
		{access.ModeAPIAndConfigMap, want{awsAuth: "cm-user", entry: "entry-user"}},
		{access.ModeAPI, want{entry: "entry-user"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			m, err := NewMapper(&fakeAccess{snap: mapperState(tt.mode)}, resolve.Options{})
			if err != nil {
				t.Fatal(err)
			}
			m.SetAWSAuth(mapperAWSAuth(t))
			for _, c := range []struct{ arn, want string }{
				{mapCreator, tt.want.creator}, {mapAWSAuth + "", tt.want.awsAuth}, {mapEntry, tt.want.entry},
			} {
				r := m.Resolve(callerID(t, c.arn))
				if r.Username != c.want || r.Mapped != (c.want != "") {
					t.Errorf("%s: mapped %v as %q (%s: %s), want %q", c.arn, r.Mapped, r.Username, r.Code, r.Reason, c.want)
				}
			}
			if tt.want.entry != "" {
				r := m.Resolve(callerID(t, mapEntry))
				if len(r.Grants) != 1 || r.Grants[0].PolicyARN != authz.ViewPolicyARN {
					t.Errorf("entry grants %+v, want the associated view policy", r.Grants)
				}
			}
		})
	}
}

func TestMapperReloadsOnGenerationChangeOnly(t *testing.T) {
	store := &fakeAccess{snap: mapperState(access.ModeConfigMap)}
	m, err := NewMapper(store, resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reads := store.readCount()
	for range 3 {
		m.Resolve(callerID(t, mapEntry))
	}
	if store.readCount() != reads {
		t.Errorf("the store was read %d times without a generation change", store.readCount()-reads)
	}
	if r := m.Resolve(callerID(t, mapEntry)); r.Mapped {
		t.Fatalf("CONFIG_MAP mapped an access entry: %+v", r)
	}
	store.set(mapperState(access.ModeAPI), nil)
	if r := m.Resolve(callerID(t, mapEntry)); !r.Mapped || r.Username != "entry-user" {
		t.Fatalf("after the mode moved to API the very next call must use the entry: %+v", r)
	}
	if got := m.Snapshot().Generation; got != store.Generation() {
		t.Errorf("snapshot generation %d, store %d", got, store.Generation())
	}
}

func TestMapperKeepsTheLastGoodSnapshotOnStoreError(t *testing.T) {
	store := &fakeAccess{snap: mapperState(access.ModeAPI)}
	m, err := NewMapper(store, resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	store.set(access.Snapshot{}, boom)
	if r := m.Resolve(callerID(t, mapEntry)); !r.Mapped || r.Username != "entry-user" {
		t.Fatalf("a store error must keep the last good snapshot in force: %+v", r)
	}
	if !errors.Is(m.StoreError(), boom) {
		t.Errorf("StoreError = %v, want %v", m.StoreError(), boom)
	}
	store.set(mapperState(access.ModeConfigMap), nil)
	if r := m.Resolve(callerID(t, mapCreator)); !r.Mapped || r.Username != resolve.CreatorUsername {
		t.Fatalf("after recovery: %+v", r)
	}
	if m.StoreError() != nil {
		t.Errorf("StoreError after recovery = %v", m.StoreError())
	}
	if _, err := NewMapper(&fakeAccess{err: boom}, resolve.Options{}); !errors.Is(err, boom) {
		t.Errorf("NewMapper on a failing store: %v", err)
	}
}

func TestMapperSetAWSAuthNilEmptiesIt(t *testing.T) {
	m, err := NewMapper(&fakeAccess{snap: mapperState(access.ModeConfigMap)}, resolve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.SetAWSAuth(mapperAWSAuth(t))
	if r := m.Resolve(callerID(t, mapAWSAuth)); !r.Mapped {
		t.Fatalf("aws-auth not in force: %+v", r)
	}
	m.SetAWSAuth(nil)
	if r := m.Resolve(callerID(t, mapAWSAuth)); r.Mapped {
		t.Fatalf("aws-auth still in force after SetAWSAuth(nil): %+v", r)
	}
}
