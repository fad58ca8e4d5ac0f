package access

import "testing"

func TestParseMode(t *testing.T) {
	for _, s := range []string{"CONFIG_MAP", "API_AND_CONFIG_MAP", "API"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "api", "CONFIGMAP", "API "} {
		_, err := ParseMode(s)
		wantError(t, err, InvalidParameterException, "The authentication mode \""+s+"\" is invalid, it must be one of CONFIG_MAP, API_AND_CONFIG_MAP, API.")
	}
}

func TestModePredicates(t *testing.T) {
	tests := []struct {
		m             Mode
		entries, cmap bool
	}{
		{ModeConfigMap, false, true},
		{ModeAPIAndConfigMap, true, true},
		{ModeAPI, true, false},
		{"", false, false},
	}
	for _, tt := range tests {
		if tt.m.UsesAccessEntries() != tt.entries || tt.m.UsesConfigMap() != tt.cmap {
			t.Errorf("%q: UsesAccessEntries=%v UsesConfigMap=%v", tt.m, tt.m.UsesAccessEntries(), tt.m.UsesConfigMap())
		}
		err := RequireAccessEntries(tt.m)
		if tt.entries && err != nil {
			t.Errorf("RequireAccessEntries(%q) = %v", tt.m, err)
		}
		if !tt.entries {
			wantError(t, err, InvalidRequestException,
				"The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.")
		}
	}
}

func TestValidateModeChange(t *testing.T) {
	tests := []struct {
		name     string
		from, to Mode
		typ      ErrorType
		msg      string
	}{
		{"config map to both", ModeConfigMap, ModeAPIAndConfigMap, "", ""},
		{"both to api", ModeAPIAndConfigMap, ModeAPI, "", ""},
		// EKS's message, word for word (re:Post knowledge center, "How do I
		// troubleshoot issues with access entries in my Amazon EKS
		// cluster?").
		{"skipping API_AND_CONFIG_MAP is refused as in EKS", ModeConfigMap, ModeAPI, InvalidParameterException,
			"Unsupported authentication mode update from CONFIG_MAP to API."},
		{"api back to both", ModeAPI, ModeAPIAndConfigMap, InvalidParameterException,
			"Unsupported authentication mode update from API to API_AND_CONFIG_MAP."},
		{"api back to config map", ModeAPI, ModeConfigMap, InvalidParameterException,
			"Unsupported authentication mode update from API to CONFIG_MAP."},
		{"both back to config map", ModeAPIAndConfigMap, ModeConfigMap, InvalidParameterException,
			"Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP."},
		{"same mode", ModeAPI, ModeAPI, InvalidParameterException,
			"Unsupported authentication mode update from API to API."},
		{"same config map", ModeConfigMap, ModeConfigMap, InvalidParameterException,
			"Unsupported authentication mode update from CONFIG_MAP to CONFIG_MAP."},
		{"unknown target", ModeAPI, "NONE", InvalidParameterException, `The authentication mode "NONE" is invalid...`},
		{"unknown source", "", ModeAPI, InvalidParameterException, `The authentication mode "" is invalid...`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateModeChange(tt.from, tt.to)
			if tt.typ == "" {
				if err != nil {
					t.Fatalf("ValidateModeChange: %v", err)
				}
				return
			}
			wantError(t, err, tt.typ, tt.msg)
		})
	}
}

func validConfig() ClusterConfig {
	return ClusterConfig{
		Name: testCluster, Region: testRegion, AccountID: testAccount,
		AuthenticationMode:                      ModeAPIAndConfigMap,
		BootstrapClusterCreatorAdminPermissions: true,
		CreatorARN:                              "arn:aws:sts::111122223333:assumed-role/Admin/alice",
		CreatedAt:                               t0,
	}
}

func TestClusterConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*ClusterConfig)
		typ    ErrorType
		msg    string
	}{
		{"valid", func(*ClusterConfig) {}, "", ""},
		{"api mode without bootstrap", func(c *ClusterConfig) {
			c.AuthenticationMode, c.BootstrapClusterCreatorAdminPermissions, c.CreatorARN = ModeAPI, false, ""
		}, "", ""},
		{"config map with bootstrap", func(c *ClusterConfig) { c.AuthenticationMode = ModeConfigMap }, "", ""},
		{"config map without bootstrap", func(c *ClusterConfig) {
			c.AuthenticationMode, c.BootstrapClusterCreatorAdminPermissions = ModeConfigMap, false
		}, InvalidParameterException, "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"},
		{"unknown mode", func(c *ClusterConfig) { c.AuthenticationMode = "API_ONLY" }, InvalidParameterException, `The authentication mode "API_ONLY" is invalid...`},
		{"empty name", func(c *ClusterConfig) { c.Name = "" }, InvalidParameterException,
			`The cluster name "" is invalid, it must be 1 to 100 letters, digits, hyphens and underscores, beginning with a letter or digit.`},
		{"name starting with hyphen", func(c *ClusterConfig) { c.Name = "-prod" }, InvalidParameterException, `The cluster name "-prod" is invalid...`},
		{"name with slash", func(c *ClusterConfig) { c.Name = "a/b" }, InvalidParameterException, `The cluster name "a/b" is invalid...`},
		{"bad region", func(c *ClusterConfig) { c.Region = "EU-WEST-1" }, InvalidParameterException, `The region "EU-WEST-1" is invalid.`},
		{"bad account", func(c *ClusterConfig) { c.AccountID = "1234" }, InvalidParameterException, `The account ID "1234" is invalid, it must be 12 digits.`},
		{"bootstrap without creator", func(c *ClusterConfig) { c.CreatorARN = "" }, InvalidParameterException,
			`The cluster creator ARN "" is invalid, it must be an IAM user, an IAM role or an assumed-role session.`},
		{"root creator", func(c *ClusterConfig) { c.CreatorARN = "arn:aws:iam::111122223333:root" }, InvalidParameterException,
			`The cluster creator ARN "arn:aws:iam::111122223333:root" is invalid...`},
		{"federated creator", func(c *ClusterConfig) { c.CreatorARN = "arn:aws:sts::111122223333:federated-user/bob" }, InvalidParameterException,
			`The cluster creator ARN "arn:aws:sts::111122223333:federated-user/bob" is invalid...`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.modify(&c)
			err := c.Validate()
			if tt.typ == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			wantError(t, err, tt.typ, tt.msg)
		})
	}
}
