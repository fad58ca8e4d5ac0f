package partition

import "testing"

func TestParseSTSHost(t *testing.T) {
	set := New()
	aws, _ := set.Lookup("aws")
	cn, _ := set.Lookup("aws-cn")
	gov, _ := set.Lookup("aws-us-gov")
	tests := []struct {
		name    string
		p       Partition
		host    string
		want    STSEndpoint
		wantErr bool
	}{
		{"global", aws, "sts.amazonaws.com", STSEndpoint{Host: "sts.amazonaws.com", Region: "us-east-1", Global: true}, false},
		{"regional", aws, "sts.eu-west-1.amazonaws.com", STSEndpoint{Host: "sts.eu-west-1.amazonaws.com", Region: "eu-west-1"}, false},
		{"fips", aws, "sts-fips.us-east-2.amazonaws.com", STSEndpoint{Host: "sts-fips.us-east-2.amazonaws.com", Region: "us-east-2", FIPS: true}, false},
		{"dualstack", aws, "sts.us-west-2.api.aws", STSEndpoint{Host: "sts.us-west-2.api.aws", Region: "us-west-2", DualStack: true}, false},
		{"fips dualstack", aws, "sts-fips.us-west-2.api.aws", STSEndpoint{Host: "sts-fips.us-west-2.api.aws", Region: "us-west-2", FIPS: true, DualStack: true}, false},
		{"china regional", cn, "sts.cn-north-1.amazonaws.com.cn", STSEndpoint{Host: "sts.cn-north-1.amazonaws.com.cn", Region: "cn-north-1"}, false},
		{"govcloud regional", gov, "sts.us-gov-west-1.amazonaws.com", STSEndpoint{Host: "sts.us-gov-west-1.amazonaws.com", Region: "us-gov-west-1"}, false},
		{"no global in china", cn, "sts.amazonaws.com.cn", STSEndpoint{}, true},
		{"no global in govcloud", gov, "sts.amazonaws.com", STSEndpoint{}, true},
		{"govcloud region in aws", aws, "sts.us-gov-west-1.amazonaws.com", STSEndpoint{}, true},
		{"china host in aws", aws, "sts.cn-north-1.amazonaws.com.cn", STSEndpoint{}, true},
		{"upper case", aws, "STS.amazonaws.com", STSEndpoint{}, true},
		{"trailing dot", aws, "sts.amazonaws.com.", STSEndpoint{}, true},
		{"port", aws, "sts.amazonaws.com:443", STSEndpoint{}, true},
		{"look-alike suffix", aws, "sts.us-east-1.amazonaws.com.evil.example", STSEndpoint{}, true},
		{"look-alike prefix", aws, "xsts.us-east-1.amazonaws.com", STSEndpoint{}, true},
		{"extra label", aws, "sts.evil.us-east-1.amazonaws.com", STSEndpoint{}, true},
		{"bad region", aws, "sts.moon-base-1.amazonaws.com", STSEndpoint{}, true},
		{"ip", aws, "127.0.0.1", STSEndpoint{}, true},
		{"empty", aws, "", STSEndpoint{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.ParseSTSHost(tt.host)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSTSHost(%q) error = %v, wantErr %v", tt.host, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseSTSHost(%q) = %+v, want %+v", tt.host, got, tt.want)
			}
		})
	}
}

func TestForRegion(t *testing.T) {
	set := New()
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "us-gov-east-1": "aws-us-gov", "cn-northwest-1": "aws-cn",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e",
		"us-isof-south-1": "aws-iso-f", "eusc-de-east-1": "aws-eusc",
	} {
		p, err := set.ForRegion(region)
		if err != nil || p.ID != want {
			t.Errorf("ForRegion(%q) = %q, %v; want %q", region, p.ID, err, want)
		}
	}
	for _, bad := range []string{"", "us-east", "US-EAST-1", "mars-1", "us-east-1 "} {
		if _, err := set.ForRegion(bad); err == nil {
			t.Errorf("ForRegion(%q) succeeded, want error", bad)
		}
	}
}

func TestSTSHostRoundTrip(t *testing.T) {
	set := New()
	for _, id := range set.IDs() {
		p, _ := set.Lookup(id)
		host := p.STSHost(p.DefaultRegion)
		ep, err := p.ParseSTSHost(host)
		if err != nil || ep.Region != p.DefaultRegion {
			t.Errorf("%s: ParseSTSHost(STSHost(%q)) = %+v, %v", id, p.DefaultRegion, ep, err)
		}
	}
}
