package access

import "errors"

// ValidateTags checks tags with the rules of CreateAccessEntry (see
// validateTags: EKS's TagMap, TagKey and TagValue limits and the reserved
// aws: prefix) and answers with error type t: TagResource refuses with a
// BadRequestException, the only client error the EKS API reference models
// for it, where the create operations use InvalidParameterException.
func ValidateTags(tags map[string]string, t ErrorType) error {
	if len(tags) == 0 {
		return newError(t, "tags is required: give at least one tag.")
	}
	_, err := validateTags(tags)
	return retype(err, t)
}

// ValidateTagKeys checks the keys of an UntagResource as ValidateTags
// checks keys.
func ValidateTagKeys(keys []string, t ErrorType) error {
	if len(keys) == 0 {
		return newError(t, "tagKeys is required: give at least one tag key.")
	}
	if len(keys) > maxTags {
		return newError(t, "Too many tag keys: %d, the maximum is %d.", len(keys), maxTags)
	}
	tags := make(map[string]string, len(keys))
	for _, k := range keys {
		tags[k] = ""
	}
	_, err := validateTags(tags)
	return retype(err, t)
}

func retype(err error, t ErrorType) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Type: t, Message: e.Message, cause: e.cause}
	}
	return err
}

// MergeTags returns cur with add applied (TagResource: the given keys are
// set, the others kept) as a new map, refused as ValidateTags refuses when
// the result would have too many tags.
func MergeTags(cur, add map[string]string, t ErrorType) (map[string]string, error) {
	out := make(map[string]string, len(cur)+len(add))
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	if len(out) > maxTags {
		return nil, newError(t, "Too many tags: %d, the maximum is %d.", len(out), maxTags)
	}
	return out, nil
}

// RemoveTags returns cur without keys (UntagResource: a key the resource
// does not have is not an error) as a new map.
func RemoveTags(cur map[string]string, keys []string) map[string]string {
	out := make(map[string]string, len(cur))
	for k, v := range cur {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}
