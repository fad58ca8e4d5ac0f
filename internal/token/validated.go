package token

// Validated is a token that has passed a Validator's local checks, with
// the Request it describes. Only this package makes one (Validator.Check),
// so a function that takes a Validated, such as the STS verifier's call,
// cannot be handed a token nobody checked, and a token checked once need
// not be parsed and checked again on its way to STS.
type Validated struct {
	req Request
	// audience is the Validator's: the one the token was checked for.
	audience Audience
	// partition is the ID of the Validator's partition.
	partition string
}

// Check runs Validate and returns the token with what it describes. Its
// errors are Validate's.
func (v Validator) Check(tok string) (Validated, error) {
	r, err := v.Validate(tok)
	if err != nil {
		return Validated{}, err
	}
	return Validated{req: r, audience: v.Audience, partition: v.Partition.ID}, nil
}

// Request returns what the token says; its URL must not be modified.
func (t Validated) Request() Request { return t.req }

// CheckedFor reports whether the token was checked for audience a in the
// partition with ID partitionID. The zero Validated was checked for
// nothing.
func (t Validated) CheckedFor(a Audience, partitionID string) bool {
	return t.req.URL != nil && t.audience == a && t.partition == partitionID
}
