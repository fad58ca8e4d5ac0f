package localsts

import (
	"fmt"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// RecreateRole records in the config that the role roleARN names was
// deleted and created again with the same name: its generation goes up by
// one, and so a server started from the config gives it a new unique ID
// (see Server.RecreateRole, the same for a running server). It returns the
// role's new unique ID.
func (c *Config) RecreateRole(roleARN string) (string, error) {
	p, err := arn.Parse(roleARN)
	if err != nil {
		return "", fmt.Errorf("recreate role: %w", err)
	}
	if p.Kind != arn.KindRole {
		return "", fmt.Errorf("recreate role: %s is not an IAM role ARN", roleARN)
	}
	d := c.withDefaults()
	for i, a := range d.Accounts {
		for j, r := range a.Roles {
			q, err := arn.Parse("arn:" + d.Partition + ":iam::" + a.ID + ":role" + r.Path + r.Name)
			if err != nil || q.Key() != p.Key() {
				continue
			}
			c.Accounts[i].Roles[j].Generation++
			return uniqueID("AROA", q.Key(), c.Accounts[i].Roles[j].Generation), nil
		}
	}
	return "", fmt.Errorf("recreate role: the config has no role %s", roleARN)
}

// RoleID returns the unique ID a server started from the config gives the
// role roleARN names (GetRole's RoleId).
func (c *Config) RoleID(roleARN string) (string, error) {
	p, err := arn.Parse(roleARN)
	if err != nil {
		return "", err
	}
	d := c.withDefaults()
	for _, a := range d.Accounts {
		for _, r := range a.Roles {
			q, err := arn.Parse("arn:" + d.Partition + ":iam::" + a.ID + ":role" + r.Path + r.Name)
			if err == nil && p.Kind == arn.KindRole && q.Key() == p.Key() {
				return uniqueID("AROA", q.Key(), r.Generation), nil
			}
		}
	}
	return "", fmt.Errorf("the config has no role %s", roleARN)
}
