package server

import (
	"path/filepath"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// writeAWSFiles writes dev mode's AWS shared credentials and config files,
// one profile per seeded user (see localsts.Config.WriteAWSFiles).
func writeAWSFiles(dir string, cfg *localsts.Config) (localsts.AWSFiles, error) {
	return cfg.WriteAWSFiles(filepath.Join(dir, "aws"), DevRegion)
}
