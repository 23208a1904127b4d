package resources

import "context"

type actorKey struct{}

// WithActor returns ctx naming who makes the changes done with it (a user
// name, a token); creates and edits record it in CreatedBy and UpdatedBy.
// The access layer sets it from the request's principal; resources knows
// nothing of users.
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// ActorFrom returns the actor ctx names, or "".
func ActorFrom(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}
