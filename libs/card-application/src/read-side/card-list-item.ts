import type { CardSummaryDocument, ReadDocument } from '@cards/read-store';

/** A card as lists show it: the summary without the projection's bookkeeping fields. */
export type CardListItem = Omit<CardSummaryDocument, '_id' | 'statusBeforeSuspension' | 'statusBeforeDispute'>;

export function toCardListItem(doc: ReadDocument): CardListItem {
  const { _id, statusBeforeSuspension, statusBeforeDispute, ...item } = doc as unknown as CardSummaryDocument;
  void _id;
  void statusBeforeSuspension;
  void statusBeforeDispute;
  return item;
}
