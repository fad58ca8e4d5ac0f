package access

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestUpdateHistory(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var c ClusterConfig
	for i := range MaxUpdates + 3 {
		c = c.WithUpdate(NewModeUpdate(fmt.Sprintf("id-%d", i), ModeAPI, fmt.Sprintf("tok-%d", i), now))
	}
	if len(c.Updates) != MaxUpdates || c.Updates[0].ID != "id-3" || c.Updates[MaxUpdates-1].ID != fmt.Sprintf("id-%d", MaxUpdates+2) {
		t.Fatalf("history of %d: first %s", len(c.Updates), c.Updates[0].ID)
	}
	u, err := c.Update("id-10")
	if err != nil || u.Status != UpdateInProgress || u.Type != UpdateTypeAccessConfig ||
		!reflect.DeepEqual(u.Params, []UpdateParam{{UpdateParamAuthenticationMode, "API"}}) {
		t.Errorf("Update(id-10) = %+v, %v", u, err)
	}
	_, err = c.Update("id-0")
	wantError(t, err, ResourceNotFoundException, "No update found for ID: id-0")
	if _, ok := c.UpdateByToken("tok-0"); ok {
		t.Error("a dropped update's token still matches")
	}
	if u, ok := c.UpdateByToken("tok-10"); !ok || u.ID != "id-10" {
		t.Errorf("UpdateByToken = %+v, %v", u, ok)
	}
	if _, ok := c.UpdateByToken(""); ok {
		t.Error("the empty token matched")
	}
	before := c.Clone()
	done, ok := c.WithUpdateStatus("id-10", UpdateFailed, []UpdateError{{"Unknown", "x"}})
	if !ok {
		t.Fatal("WithUpdateStatus: not found")
	}
	if got, _ := done.Update("id-10"); got.Status != UpdateFailed || len(got.Errors) != 1 {
		t.Errorf("after WithUpdateStatus: %+v", got)
	}
	if !reflect.DeepEqual(c, before) {
		t.Error("WithUpdateStatus modified its receiver's history")
	}
	if _, ok := c.WithUpdateStatus("nope", UpdateSuccessful, nil); ok {
		t.Error("WithUpdateStatus of an unknown ID succeeded")
	}
}

func TestClusterConfigTagsAndARN(t *testing.T) {
	c := validConfig()
	if got := c.ARN(); !strings.HasPrefix(got, "arn:aws:eks:") || !strings.HasSuffix(got, ":cluster/"+c.Name) {
		t.Errorf("ARN = %s", got)
	}
	c.Tags = map[string]string{"aws:owner": "x"}
	wantError(t, c.Validate(), InvalidParameterException, `The tag key "aws:owner" is invalid, the prefix aws: is reserved for AWS use.`)
}

func TestTagOperations(t *testing.T) {
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	tests := []struct {
		name string
		err  error
		msg  string
	}{
		{"no tags", ValidateTags(nil, BadRequestException), "tags is required: give at least one tag."},
		{"reserved key, any case", ValidateTags(map[string]string{"Aws:x": "1"}, BadRequestException), `The tag key "Aws:x" is invalid, the prefix aws: is reserved for AWS use.`},
		{"key of 129", ValidateTags(map[string]string{strings.Repeat("k", 129): "1"}, BadRequestException), "The tag key \"" + strings.Repeat("k", 129) + "\" is invalid, it must be 1 to 128 characters long."},
		{"value of 257", ValidateTags(map[string]string{"k": strings.Repeat("v", 257)}, BadRequestException), `The value of tag "k" is invalid, it must be at most 256 characters long.`},
		{"51 tags", ValidateTags(map[string]string{"a": "1", "b": "2", "c": "3"}, BadRequestException), ""},
		{"no keys", ValidateTagKeys(nil, BadRequestException), "tagKeys is required: give at least one tag key."},
		{"reserved key to remove", ValidateTagKeys([]string{"aws:x"}, BadRequestException), `The tag key "aws:x" is invalid, the prefix aws: is reserved for AWS use.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.msg == "" {
				if tt.err != nil {
					t.Errorf("unexpected %v", tt.err)
				}
				return
			}
			wantError(t, tt.err, BadRequestException, tt.msg)
		})
	}
	_, err := MergeTags(many, map[string]string{"one-more": "v"}, BadRequestException)
	wantError(t, err, BadRequestException, "Too many tags: 51, the maximum is 50.")
	got, err := MergeTags(map[string]string{"a": "1", "b": "2"}, map[string]string{"b": "3", "c": "4"}, BadRequestException)
	if err != nil || !reflect.DeepEqual(got, map[string]string{"a": "1", "b": "3", "c": "4"}) {
		t.Errorf("MergeTags = %v, %v", got, err)
	}
	cur := map[string]string{"a": "1", "b": "2"}
	if got := RemoveTags(cur, []string{"a", "absent"}); !reflect.DeepEqual(got, map[string]string{"b": "2"}) || len(cur) != 2 {
		t.Errorf("RemoveTags = %v (input now %v)", got, cur)
	}
}
