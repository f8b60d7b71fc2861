package domain

import (
	"errors"
	"fmt"
)

// Error codes. They travel to API clients in extensions.code, so they are stable.
const (
	EINVALID         = "INVALID"
	ENOTFOUND        = "NOT_FOUND"
	ECONFLICT        = "CONFLICT"
	EFORBIDDEN       = "FORBIDDEN"
	EUNAUTHENTICATED = "UNAUTHENTICATED"
	ETOOLARGE        = "TOO_LARGE"
	EINTERNAL        = "INTERNAL"
)

// Error is the one error type of the application: a code a program can act on and a sentence a
// person can act on.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other error and
// "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain; other errors get a generic
// sentence so that internal details never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
