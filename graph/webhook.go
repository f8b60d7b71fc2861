package graph

import (
	"context"

	"github.com/dieuphoi/dieuphoi/domain"
	"github.com/dieuphoi/dieuphoi/graph/model"
	"github.com/dieuphoi/dieuphoi/projections"
)

// registerWebhook records a webhook for the caller's organisation; deliveries start after the
// log's last sequence at this moment. A retry with the same commandId names the same webhook
// and records nothing new.
func (s *Server) registerWebhook(ctx context.Context, in model.RegisterWebhookInput) (*model.WebhookPayload, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	last, err := s.store.LastSequence(ctx)
	if err != nil {
		return nil, err
	}
	id := derivedID(a, in.CommandID, "webhook")
	c := domain.RegisterWebhook{URL: in.URL, Description: deref(in.Description), FromSequence: last}
	res, _, err := s.execute(ctx, command{id: id, commandID: in.CommandID, cmd: c})
	if err != nil {
		return nil, err
	}
	return s.webhookPayload(a, id, res.Sequence)
}

// disableWebhook stops one of the caller's organisation's webhooks; every replica stops
// delivering to it and its consumer is deleted.
func (s *Server) disableWebhook(ctx context.Context, in model.DisableWebhookInput) (*model.WebhookPayload, error) {
	res, a, err := s.execute(ctx, command{id: in.WebhookID, commandID: in.CommandID, cmd: domain.DisableWebhook{Reason: deref(in.Reason)}})
	if err != nil {
		return nil, err
	}
	return s.webhookPayload(a, in.WebhookID, res.Sequence)
}

func (s *Server) webhookPayload(a domain.Actor, id string, seq uint64) (*model.WebhookPayload, error) {
	w, err := s.projector.Webhooks.Get(a, id)
	if err != nil {
		return nil, err
	}
	return &model.WebhookPayload{Webhook: &w, Sequence: seq}, nil
}

func (s *Server) listWebhooks(ctx context.Context) ([]*projections.WebhookInfo, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.projector.Webhooks.List(a)
	if err != nil {
		return nil, err
	}
	return pointers(ws), nil
}

func (s *Server) webhookDeadLetters(ctx context.Context, id string) ([]*projections.DeadLetter, error) {
	a, err := actorFrom(ctx)
	if err != nil {
		return nil, err
	}
	dl, err := s.projector.Webhooks.DeadLetters(a, id)
	if err != nil {
		return nil, err
	}
	return pointers(dl), nil
}
