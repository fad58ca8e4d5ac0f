//go:build !unix

package awsauthedit

import "errors"

// lockFile is not implemented outside Unix: editing a file without the lock
// could lose a concurrent edit, so it is refused.
func lockFile(string) (func(), error) {
	return nil, errors.New("editing aws-auth files needs flock, which this platform lacks; edit it by hand")
}
