package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func valid() Server {
	c := Server{ClusterID: "demo", ClusterCreatorARN: "arn:aws:iam::111122223333:user/creator"}
	c.Defaults()
	return c
}

func TestDefaultsAndValid(t *testing.T) {
	c := valid()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.AccountID != "111122223333" || c.Listen != "127.0.0.1:21362" || c.AuthenticationMode != "CONFIG_MAP" || !c.BootstrapCreator() {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name  string
		mut   func(*Server)
		field string
	}{
		{"no cluster id", func(c *Server) { c.ClusterID = "" }, "clusterID"},
		// The store refuses such a name when it writes the cluster record,
		// after the server has started creating its state.
		{"cluster id the store cannot hold", func(c *Server) { c.ClusterID = "kubeiam-api:x" }, "clusterID"},
		{"cluster id not beginning with a letter or digit", func(c *Server) { c.ClusterID = "-x" }, "clusterID"},
		{"bad partition", func(c *Server) { c.Partition = "aws-moon" }, "partition"},
		{"region outside partition", func(c *Server) { c.Partition = "aws-cn" }, "region"},
		{"bad creator", func(c *Server) { c.ClusterCreatorARN = "arn:aws:iam::111122223333:group/admins" }, "clusterCreatorARN"},
		{"bad mode", func(c *Server) { c.AuthenticationMode = "API_ONLY" }, "authenticationMode"},
		{"bad listen", func(c *Server) { c.Listen = "nowhere" }, "listen"},
		{"half tls", func(c *Server) { c.TLS.CertFile = "x.crt" }, "tls"},
		{"bad sts endpoint", func(c *Server) { c.STSEndpoint = "ftp://x" }, "stsEndpoint"},
		{"plain http sts endpoint off loopback", func(c *Server) { c.STSEndpoint = "http://sts.vpce.example.com" }, "stsEndpoint"},
		{"bad manager", func(c *Server) { c.Managers = []string{"nope"} }, "managers[0]"},
		{"bad log format", func(c *Server) { c.Log.Format = "xml" }, "log.format"},
		{"ec2 region outside partition", func(c *Server) { c.EC2.Region = "cn-north-1" }, "ec2.region"},
		{"bad ec2 endpoint", func(c *Server) { c.EC2.Endpoint = "ec2.internal:443" }, "ec2.endpoint"},
		{"no creator bootstrap in CONFIG_MAP, as EKS refuses", func(c *Server) { no := false; c.BootstrapClusterCreatorAdminPermissions = &no },
			"bootstrapClusterCreatorAdminPermissions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mut(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.field+":") {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tt.field)
			}
		})
	}
}

func TestLoadRejectsUnknownFields(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("clusterID: demo\nstsTimeout: 2s\nawsAuth:\n  file: /tmp/aws-auth.yaml\n"), 0o600)
	c, err := Load(good)
	if err != nil || c.ClusterID != "demo" || c.STSTimeout.Seconds() != 2 || c.AWSAuth.File != "/tmp/aws-auth.yaml" {
		t.Fatalf("Load = %+v, %v", c, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("clusterName: demo\n"), 0o600)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "clusterName") {
		t.Fatalf("Load(typo) = %v, want an error naming the unknown field", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("Load(missing) succeeded")
	}
}

func TestEC2RegionDefaultsToTheServers(t *testing.T) {
	c := Server{ClusterID: "demo", Region: "eu-west-1"}
	c.Defaults()
	if c.EC2.Region != "eu-west-1" || c.EC2.Enabled {
		t.Fatalf("ec2 = %+v; want disabled, in the server's region", c.EC2)
	}
	c = Server{ClusterID: "demo", Region: "eu-west-1", EC2: EC2{Enabled: true, Region: "us-west-2", Endpoint: "http://127.0.0.1:4566"}}
	c.Defaults()
	if err := c.Validate(); err != nil || c.EC2.Region != "us-west-2" {
		t.Fatalf("Validate = %v, ec2 = %+v; want valid, region kept", err, c.EC2)
	}
}

func TestLoadReadsEC2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.yaml")
	os.WriteFile(path, []byte("clusterID: demo\nec2:\n  enabled: true\n  endpoint: http://127.0.0.1:4566\n"), 0o600)
	c, err := Load(path)
	if err != nil || !c.EC2.Enabled || c.EC2.Endpoint != "http://127.0.0.1:4566" {
		t.Fatalf("Load = %+v, %v", c.EC2, err)
	}
}

// TestSTSEndpointPlainHTTP: loopback http is fine (dev mode, emulators);
// anywhere else it takes the loudly named opt-in (issue 10, item 4).
func TestSTSEndpointPlainHTTP(t *testing.T) {
	for endpoint, allow := range map[string]bool{"http://127.0.0.1:21363": false, "http://[::1]:4566": false, "https://sts.vpce.example.com": false, "http://sts.vpce.example.com": true} {
		c := valid()
		c.STSEndpoint, c.InsecureAllowHTTPSTSEndpoint = endpoint, allow
		if err := c.Validate(); err != nil {
			t.Errorf("%s (insecure allowed: %v): %v", endpoint, allow, err)
		}
	}
	c := valid()
	c.STSEndpoint = "http://sts.vpce.example.com"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--insecure-allow-http-sts-endpoint") {
		t.Errorf("Validate = %v, want a refusal naming the opt-in flag", err)
	}
}

// A configuration file that is not one is refused in the reader's terms
// (the setting, the kind of value), never with the decoder's Go types, and
// a wrong path such as /dev/zero is refused at 1 MiB instead of read whole.
func TestLoadRefusesBadFilesInWords(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 1<<20+1); err != nil { // sparse
		t.Fatal(err)
	}
	for _, tt := range []struct{ content, want string }{
		{"\xff\xfe garbage", "want a YAML mapping of settings"},
		{"- clusterID: a\n", "want a YAML mapping of settings (clusterID: prod, stsEndpoint: ..., see kubeiam server --help), got a YAML list"},
		{"clusterID: [1]\n", "setting clusterID: want a string, got a YAML list"},
		{"managers: arn:aws:iam::111122223333:role/a\n", "setting managers: want a list of strings, got a YAML string"},
		{"awsAuth: file.yaml\n", "setting awsAuth: want a mapping, got a YAML string"},
		{"mapRoles: x\n", `unknown setting "mapRoles"`},
		{"", ""},
	} {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if tt.want == "" {
			if err != nil {
				t.Errorf("Load(%q) = %v, want an empty configuration", tt.content, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "JSON") {
			t.Errorf("Load(%q) = %v, want an error saying %q", tt.content, err, tt.want)
		}
	}
	if _, err := Load(huge); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load(a file of %d bytes) = %v, want it refused as too large", 1<<20+1, err)
	}
}
