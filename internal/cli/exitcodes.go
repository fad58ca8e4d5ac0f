package cli

import (
	"errors"
	"strings"
)

// Exit codes of every kubeiam command, documented once in "kubeiam --help".
const (
	exitOK     = 0 // success (verify, whoami: authenticated)
	exitFailed = 1 // refused (denied, not mapped) or failed (unreachable, invalid input file)
	exitUsage  = 2 // bad usage: unknown command or flag, missing or invalid flag or argument
)

// exitCodesHelp is the root command's description of the exit codes.
const exitCodesHelp = `Exit status, for every command:
  0  success
  1  refused (denied, not mapped, a check that failed) or failed (unreachable, unreadable)
  2  bad usage: an unknown command or flag, a missing or invalid flag or argument;
     flags are checked before any credential is loaded or request made`

// cobraUsageErrors are the beginnings of the errors cobra itself returns for
// bad usage (cobra's args.go, command.go and flag_groups.go): their exit
// code is 2 like every other usage error's.
var cobraUsageErrors = []string{
	"unknown command ",
	"unknown flag: ",
	"unknown shorthand flag: ",
	"required flag(s) ",
	"accepts ",
	"requires at least ",
	"invalid argument ",
	"if any flags in the group ",
	"at least one of the flags in the group ",
	"flag needs an argument: ",
	"bad flag syntax: ",
}

// exitCodeOf is the exit code of a command's error.
func exitCodeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	msg := err.Error()
	for _, p := range cobraUsageErrors {
		if strings.HasPrefix(msg, p) {
			return exitUsage
		}
	}
	if strings.Contains(msg, "none of the others can be") { // cobra: mutually exclusive flags
		return exitUsage
	}
	return exitFailed
}
