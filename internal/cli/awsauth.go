package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/awsauthedit"
	"github.com/kubeiam/kubeiam/internal/kube"
)

// awsAuthOptions are the flags shared by the "kubeiam aws-auth" commands.
type awsAuthOptions struct {
	file, kubeconfig, context, namespace, name string
	dryRun, force                              bool
	backupDir, creatorARN                      string
	retry                                      awsAuthRetry
}

// awsAuthDeps is what "kubeiam aws-auth" needs beyond IO; tests replace it.
type awsAuthDeps struct {
	IO
	// NewClient connects to the cluster; tests return a fake clientset.
	NewClient func(kube.ClientOptions) (kubernetes.Interface, error)
}

func newAWSAuthCommand(s IO) *cobra.Command {
	return newAWSAuthCommandWith(awsAuthDeps{IO: s, NewClient: kube.NewClient})
}

func newAWSAuthCommandWith(d awsAuthDeps) *cobra.Command {
	o := &awsAuthOptions{}
	cmd := &cobra.Command{
		Use:   "aws-auth",
		Short: "Read, check and change the aws-auth ConfigMap, live or in a file",
		Long: `The aws-auth commands work on the kube-system/aws-auth ConfigMap of the cluster your
kubeconfig names (--kubeconfig, $KUBECONFIG, ~/.kube/config, or the in-cluster
config; --context), or, with -f, on a file for GitOps and CI: a full ConfigMap
manifest or the bare data map (mapRoles: | ...), written back in the form it had.
A missing ConfigMap or file is created.

Changes are safe to make while others make theirs: the ConfigMap is read,
changed and written conditioned on its resourceVersion, and read again on a
conflict. Only the data keys whose entries change are rewritten; the other keys,
labels and annotations stay as they are. Before a live write the previous
ConfigMap is saved to a new file ./aws-auth-backup-TIMESTAMP[-N].yaml (--backup-dir),
never overwriting another's; "kubeiam aws-auth restore BACKUP_FILE" puts it back. A change is refused (unless --force) when
the result would not parse — the authenticator rejects the whole ConfigMap then —
or when it removes the last system:masters mapping other than the cluster
creator's (--creator-arn).

Every change takes --dry-run, which prints the unified diff of the ConfigMap's
data it would make and writes nothing; without it the diff is printed after the
write.`,
		Example: `  # Who is mapped, with each entry's problems
  kubeiam aws-auth get

  # Map a role to a group, previewing the change first
  kubeiam aws-auth add-role --arn arn:aws:iam::111122223333:role/Dev --groups devs --dry-run
  kubeiam aws-auth add-role --arn arn:aws:iam::111122223333:role/Dev --groups devs

  # In a GitOps repository, and in CI
  kubeiam aws-auth add-user -f aws-auth.yaml --arn arn:aws:iam::111122223333:user/alice --username alice --groups devs
  kubeiam aws-auth validate -f aws-auth.yaml`,
	}
	f := cmd.PersistentFlags()
	f.StringVarP(&o.file, "file", "f", "", "work on this aws-auth file (ConfigMap manifest or data map) instead of the live ConfigMap")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file; default $KUBECONFIG, ~/.kube/config, or in-cluster")
	f.StringVar(&o.context, "context", "", "kubeconfig context; default the current one")
	f.StringVarP(&o.namespace, "namespace", "n", kube.DefaultNamespace, "namespace of the ConfigMap")
	f.StringVar(&o.name, "name", kube.DefaultName, "name of the ConfigMap")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the diff of a change and write nothing")
	f.BoolVar(&o.force, "force", false, "make a change even if it removes the last administrator or leaves entries the authenticator rejects")
	f.StringVar(&o.backupDir, "backup-dir", ".", "directory for the backup written before a live change")
	o.retry.register(f)
	f.StringVar(&o.creatorARN, "creator-arn", "", "the cluster creator, whose own system:masters entry does not count as the last administrator")
	cmd.AddCommand(
		awsAuthGetCommand(d, o), awsAuthValidateCommand(d, o),
		awsAuthAddCommand(d, o, "add-role"), awsAuthAddCommand(d, o, "add-user"),
		awsAuthAddAccountCommand(d, o), awsAuthAddCommand(d, o, "add-sso"),
		awsAuthRemoveCommand(d, o), awsAuthRestoreCommand(d, o), awsAuthDiffCommand(d, o),
	)
	for _, c := range cmd.Commands() {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
		if c.Args == nil {
			c.Args = cobra.NoArgs
		}
	}
	return cmd
}

// awsAuthAddFlags are the flags of the add commands.
type awsAuthAddFlags struct {
	arn, username, permissionSet, account, partition string
	groups                                           []string
	update, append                                   bool
}

func awsAuthAddCommand(d awsAuthDeps, o *awsAuthOptions, use string) *cobra.Command {
	a := &awsAuthAddFlags{}
	short := map[string]string{
		"add-role": "Map an IAM role (an assumed-role ARN maps its role; a path is dropped)",
		"add-user": "Map an IAM user",
		"add-sso":  "Map every role of an IAM Identity Center permission set in an account",
	}[use]
	cmd := &cobra.Command{Use: use, Short: short, RunE: func(cmd *cobra.Command, _ []string) error {
		var e awsauthedit.Edit
		switch use {
		case "add-role":
			e = awsauthedit.AddRole{ARN: a.arn, Username: a.username, Groups: awsAuthGroups(a.groups), Update: a.update, Append: a.append}
		case "add-user":
			e = awsauthedit.AddUser{ARN: a.arn, Username: a.username, Groups: awsAuthGroups(a.groups), Update: a.update, Append: a.append}
		default:
			e = awsauthedit.AddSSO{PermissionSet: a.permissionSet, Account: a.account, Partition: a.partition, Username: a.username, Groups: awsAuthGroups(a.groups), Update: a.update, Append: a.append}
		}
		if use != "add-sso" && a.arn == "" {
			return withExitCode(2, errors.New("--arn is required"))
		}
		warnNoGroups(d.IO, awsAuthGroups(a.groups), a.append)
		return runAWSAuthChange(cmd.Context(), d, o, e)
	}}
	f := cmd.Flags()
	if use == "add-sso" {
		f.StringVar(&a.permissionSet, "permission-set", "", "permission set name (required)")
		f.StringVar(&a.account, "account", "", "12-digit account ID the permission set is provisioned in (required)")
		f.StringVar(&a.partition, "partition", "", "AWS partition; default aws")
	} else {
		f.StringVar(&a.arn, "arn", "", "the principal's ARN (required)")
	}
	f.StringVar(&a.username, "username", "", "Kubernetes username (a template); default the username access entries give")
	f.StringSliceVar(&a.groups, "groups", nil, "Kubernetes groups, comma-separated; repeatable")
	f.BoolVar(&a.update, "update", false, "replace the username and groups of an existing entry for the principal")
	f.BoolVar(&a.append, "append", false, "add --groups to an existing entry for the principal, keeping its username and other groups")
	return cmd
}

// awsAuthDiffCommand is "kubeiam aws-auth diff EDIT ...": the edit
// commands with --dry-run forced, for those who look for a diff command.
func awsAuthDiffCommand(d awsAuthDeps, o *awsAuthOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what a change would do to aws-auth, writing nothing (the same as the change with --dry-run)",
		Example: `  kubeiam aws-auth diff add-user --arn arn:aws:iam::111122223333:user/alice --groups system:masters
  kubeiam aws-auth diff remove --arn arn:aws:iam::111122223333:role/Old -f aws-auth.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withExitCode(2, errors.New("diff needs the change to show, e.g. kubeiam aws-auth diff add-user --arn ARN --groups G"))
		},
	}
	for _, c := range []*cobra.Command{
		awsAuthAddCommand(d, o, "add-role"), awsAuthAddCommand(d, o, "add-user"),
		awsAuthAddAccountCommand(d, o), awsAuthAddCommand(d, o, "add-sso"), awsAuthRemoveCommand(d, o),
	} {
		run := c.RunE
		c.RunE = func(cmd *cobra.Command, args []string) error {
			o.dryRun = true
			return run(cmd, args)
		}
		c.Args = cobra.NoArgs
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
		cmd.AddCommand(c)
	}
	return cmd
}

func awsAuthAddAccountCommand(d awsAuthDeps, o *awsAuthOptions) *cobra.Command {
	var account string
	var update bool
	cmd := &cobra.Command{Use: "add-account", Short: "Let every principal of an account authenticate (mapAccounts)", RunE: func(cmd *cobra.Command, _ []string) error {
		return runAWSAuthChange(cmd.Context(), d, o, awsauthedit.AddAccount{Account: account, Update: update})
	}}
	cmd.Flags().StringVar(&account, "account", "", "12-digit account ID (required)")
	cmd.Flags().BoolVar(&update, "update", false, "succeed without change when the account is already mapped")
	return cmd
}

func awsAuthRemoveCommand(d awsAuthDeps, o *awsAuthOptions) *cobra.Command {
	r := awsauthedit.Remove{}
	cmd := &cobra.Command{Use: "remove", Short: "Remove the entries of a principal, account or permission set", RunE: func(cmd *cobra.Command, _ []string) error {
		return runAWSAuthChange(cmd.Context(), d, o, r)
	}}
	f := cmd.Flags()
	f.StringVar(&r.ARN, "arn", "", "remove every entry for this ARN (matched as the authenticator does), or this account ID from mapAccounts")
	f.StringVar(&r.Username, "username", "", "with --arn or --permission-set: remove only the entries with this username; alone: remove every entry with this username")
	f.StringVar(&r.PermissionSet, "permission-set", "", "remove the sso entries of this permission set (with --account)")
	f.StringVar(&r.Account, "account", "", "the permission set's account")
	return cmd
}

func awsAuthRestoreCommand(d awsAuthDeps, o *awsAuthOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "restore BACKUP", Short: "Put back the data of a backup written by a previous change", RunE: func(cmd *cobra.Command, args []string) error {
		b, err := awsauthedit.ReadFile(args[0])
		if err != nil {
			return fmt.Errorf("read backup: %w", err)
		}
		saved, err := awsauthedit.ParseFile(b)
		if err != nil {
			return fmt.Errorf("backup %s: %w", args[0], err)
		}
		return runAWSAuthChangeData(cmd.Context(), d, o, func(data map[string]string) (awsauthedit.Result, error) {
			return awsauthedit.Restore(data, saved.Data(), o.guard())
		})
	}}
	cmd.Args = restoreArgs
	return cmd
}

func (o *awsAuthOptions) guard() awsauthedit.Guard {
	return awsauthedit.Guard{CreatorARN: o.creatorARN, Force: o.force}
}

// awsAuthGroups trims the groups and drops empty ones ("a,,b", "a, b").
func awsAuthGroups(gs []string) []string {
	var out []string
	for _, g := range gs {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

func runAWSAuthChange(ctx context.Context, d awsAuthDeps, o *awsAuthOptions, e awsauthedit.Edit) error {
	return runAWSAuthChangeData(ctx, d, o, func(data map[string]string) (awsauthedit.Result, error) {
		return awsauthedit.Change(data, e, o.guard())
	})
}

// runAWSAuthChangeData makes a change on the target (or, with --dry-run,
// shows it) and reports it.
func runAWSAuthChangeData(ctx context.Context, d awsAuthDeps, o *awsAuthOptions, change func(map[string]string) (awsauthedit.Result, error)) error {
	t, err := newAWSAuthTarget(d, o)
	if err != nil {
		return err
	}
	var r awsauthedit.Result
	var before map[string]string
	mutate := func(data map[string]string) (map[string]string, error) {
		var err error
		before = data
		if r, err = change(data); err != nil {
			return nil, err
		}
		if r.Unchanged() {
			return nil, kube.ErrNoChange
		}
		return r.Data, nil
	}
	if o.dryRun {
		data, _, err := t.read(ctx)
		if err == nil {
			_, err = mutate(data)
		}
		if err != nil && !errors.Is(err, kube.ErrNoChange) {
			return awsAuthChangeError(err)
		}
	} else if err := t.change(ctx, mutate); err != nil {
		return awsAuthChangeError(err)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(d.Out, "note: %s\n", n)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(d.Out, "%s\n", awsAuthProblem(t.String(), p))
	}
	if r.Unchanged() {
		fmt.Fprintf(d.Out, "%s: no change\n", t)
		return nil
	}
	fmt.Fprint(d.Out, awsauthedit.Diff(before, r.Data))
	if o.dryRun {
		fmt.Fprintf(d.Out, "dry run: %s not changed\n", t)
		return nil
	}
	fmt.Fprintf(d.Out, "%s: changed %s\n", t, strings.Join(r.Changed, ", "))
	if b := t.backupPath(); b != "" {
		fmt.Fprintf(d.Out, "backup of the previous version: %s\nundo with: kubeiam aws-auth restore %s   (or: kubectl replace -f %s)\n", b, b, b)
	}
	return nil
}

// awsAuthChangeError maps a refused change to exit code 1 and keeps its message,
// which says what to do next.
func awsAuthChangeError(err error) error {
	switch {
	case errors.Is(err, awsauthedit.ErrInvalidInput):
		return withExitCode(2, err)
	default:
		return withExitCode(1, err)
	}
}

// awsAuthTarget is where the aws-auth data lives: a file or the cluster.
type awsAuthTarget interface {
	String() string
	// read returns the data and whether the file or ConfigMap exists.
	read(ctx context.Context) (map[string]string, bool, error)
	// change runs a read–modify–write with mutate.
	change(ctx context.Context, mutate func(map[string]string) (map[string]string, error)) error
	// backupPath names the backup the last change wrote, if any.
	backupPath() string
}

func newAWSAuthTarget(d awsAuthDeps, o *awsAuthOptions) (awsAuthTarget, error) {
	if o.file != "" {
		return &awsAuthFileTarget{path: o.file, namespace: o.namespace, name: o.name}, nil
	}
	backoff, err := o.retry.backoffFor()
	if err != nil {
		return nil, err
	}
	client, err := d.NewClient(kube.ClientOptions{Kubeconfig: o.kubeconfig, Context: o.context, Getenv: d.Getenv})
	if err != nil {
		return nil, fmt.Errorf("%w\nto work on a file instead, pass -f aws-auth.yaml", err)
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	cm := kube.NewConfigMap(client, o.namespace, o.name)
	cm.Backoff = backoff
	return &awsAuthLiveTarget{cm: cm, dir: o.backupDir, now: now}, nil
}

// awsAuthFileTarget is an aws-auth file. GitOps keeps its history, so no backup
// is written.
type awsAuthFileTarget struct {
	path, namespace, name string
}

func (f *awsAuthFileTarget) String() string { return f.path }

func (f *awsAuthFileTarget) backupPath() string { return "" }

func (f *awsAuthFileTarget) load() (*awsauthedit.File, bool, error) {
	b, err := awsauthedit.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return awsauthedit.NewManifestFile(f.namespace, f.name), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	file, err := awsauthedit.ParseFile(b)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", f.path, err)
	}
	return file, true, nil
}

func (f *awsAuthFileTarget) read(context.Context) (map[string]string, bool, error) {
	file, ok, err := f.load()
	if err != nil {
		return nil, false, err
	}
	return file.Data(), ok, nil
}

// change edits the file under an exclusive lock, so concurrent edits of one
// file (parallel CI jobs, say) all survive, and replaces it atomically.
func (f *awsAuthFileTarget) change(_ context.Context, mutate func(map[string]string) (map[string]string, error)) error {
	newFile := func() *awsauthedit.File { return awsauthedit.NewManifestFile(f.namespace, f.name) }
	return awsauthedit.UpdateFile(f.path, newFile, func(file *awsauthedit.File) (bool, error) {
		data, err := mutate(file.Data())
		if errors.Is(err, kube.ErrNoChange) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		file.SetData(data)
		return true, nil
	})
}

// awsAuthLiveTarget is the ConfigMap in the cluster.
type awsAuthLiveTarget struct {
	cm     *kube.ConfigMap
	dir    string
	now    func() time.Time
	backup string
}

func (l *awsAuthLiveTarget) String() string { return l.cm.String() }

func (l *awsAuthLiveTarget) backupPath() string { return l.backup }

func (l *awsAuthLiveTarget) read(ctx context.Context) (map[string]string, bool, error) {
	s, err := l.cm.Get(ctx)
	return s.Data, s.Exists, err
}

// change writes the backup of what it is about to replace inside each
// attempt, so that the backup on disk is always of the version the write
// replaced, even after conflicts.
func (l *awsAuthLiveTarget) change(ctx context.Context, mutate func(map[string]string) (map[string]string, error)) error {
	now := l.now()
	_, err := l.cm.Update(ctx, func(s kube.Snapshot) (map[string]string, error) {
		data, err := mutate(s.Data)
		if err != nil || !s.Exists {
			return data, err
		}
		b, err := awsauthedit.ManifestBytes(s.Namespace, s.Name, s.Labels, s.Annotations, s.Data)
		if err != nil {
			return nil, err
		}
		// A retry after a conflict rewrites its own backup with the version
		// it now replaces; a new change never touches another's.
		if l.backup != "" {
			err = os.WriteFile(l.backup, b, 0o600)
		} else {
			l.backup, err = createBackup(l.dir, now, b)
		}
		if err != nil {
			return nil, fmt.Errorf("write backup (choose another directory with --backup-dir): %w", err)
		}
		return data, nil
	})
	return err
}

func awsAuthGetCommand(d awsAuthDeps, o *awsAuthOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{Use: "get", Short: "List the mappings with their canonical ARN, username, groups and problems", RunE: func(cmd *cobra.Command, _ []string) error {
		if output != "table" && output != "json" && output != "yaml" {
			return withExitCode(2, fmt.Errorf("--output %q: want table, json or yaml", output))
		}
		t, err := newAWSAuthTarget(d, o)
		if err != nil {
			return err
		}
		data, _, err := t.read(cmd.Context())
		if err != nil {
			return err
		}
		doc, ps, err := awsauth.Parse(data)
		if err != nil {
			return withExitCode(1, fmt.Errorf("%s: %w", t, err))
		}
		return printAWSAuthRows(d.Out, output, awsAuthRows(doc, ps))
	}}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json or yaml")
	return cmd
}

// awsAuthRow is one aws-auth entry as "get" prints it.
type awsAuthRow struct {
	Source       string   `json:"source"`
	Index        int      `json:"index"`
	ARN          string   `json:"arn"`
	CanonicalARN string   `json:"canonicalARN"`
	Username     string   `json:"username,omitempty"`
	Groups       []string `json:"groups,omitempty"`
	Problems     []string `json:"problems,omitempty"`
}

func awsAuthRows(doc *awsauth.Document, ps awsauth.Problems) []awsAuthRow {
	rows := []awsAuthRow{}
	canonical := func(s string) string {
		if p, err := arn.Parse(s); err == nil {
			return p.Canonical()
		}
		return s
	}
	for i, r := range doc.Roles {
		row := awsAuthRow{Source: awsauth.KeyMapRoles, Index: i, ARN: r.RoleARN, CanonicalARN: canonical(r.RoleARN), Username: r.Username, Groups: r.Groups}
		if r.SSO != nil {
			part := r.SSO.Partition
			if part == "" {
				part = "aws"
			}
			row.ARN = fmt.Sprintf("sso:%s/%s", r.SSO.AccountID, r.SSO.PermissionSetName)
			row.CanonicalARN = fmt.Sprintf("arn:%s:iam::%s:role/AWSReservedSSO_%s_*", part, r.SSO.AccountID, r.SSO.PermissionSetName)
		}
		rows = append(rows, row)
	}
	for i, u := range doc.Users {
		rows = append(rows, awsAuthRow{Source: awsauth.KeyMapUsers, Index: i, ARN: u.UserARN, CanonicalARN: canonical(u.UserARN), Username: u.Username, Groups: u.Groups})
	}
	for i, a := range doc.Accounts {
		rows = append(rows, awsAuthRow{Source: awsauth.KeyMapAccounts, Index: i, ARN: a, CanonicalARN: a, Username: "(the caller's ARN)"})
	}
	for _, p := range ps {
		for i := range rows {
			if rows[i].Source == p.Key && rows[i].Index == p.Index {
				rows[i].Problems = append(rows[i].Problems, fmt.Sprintf("%s %s: %s", p.Severity, p.Code, p.Message))
			}
		}
	}
	return rows
}

func printAWSAuthRows(w io.Writer, format string, rows []awsAuthRow) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "yaml":
		b, err := sigsyaml.Marshal(rows)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tARN\tUSERNAME\tGROUPS\tPROBLEMS")
	for _, r := range rows {
		problems := "-"
		if len(r.Problems) > 0 {
			problems = strings.Join(r.Problems, "; ")
		}
		groups := strings.Join(r.Groups, ",")
		if groups == "" {
			groups = "-"
		}
		fmt.Fprintf(tw, "%s[%d]\t%s\t%s\t%s\t%s\n", r.Source, r.Index, r.CanonicalARN, r.Username, groups, problems)
	}
	return tw.Flush()
}

// awsAuthProblem writes a problem as "NAME: mapRoles line 7: error code: message".
func awsAuthProblem(name string, p awsauth.Problem) string {
	where := p.Key
	if p.Line > 0 {
		where += fmt.Sprintf(" line %d", p.Line)
	} else if p.Index >= 0 {
		where += fmt.Sprintf(" entry %d", p.Index)
	}
	return fmt.Sprintf("%s: %s: %s %s: %s", name, where, p.Severity, p.Code, p.Message)
}

func awsAuthParseError(e *awsauth.ParseError) string {
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: error: %s", e.Key, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: error: %s", e.Key, e.Msg)
}

func awsAuthPlural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
