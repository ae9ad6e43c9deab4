import type { BiometricMethod, BiometricResult, PresentedIdentity, ReviewDecision, ScoreThresholds, VerificationFailureReason, VerificationMethod } from '../card/card.types';
export const ID_TYPES = ['CN_RESIDENT_ID', 'PASSPORT'] as const;
export type IdType = (typeof ID_TYPES)[number];

export const NOTIFICATION_CHANNELS = ['SMS', 'EMAIL'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export interface PostalAddress {
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly province?: string;
  readonly postalCode?: string;
  /** ISO 3166-1 alpha-2, e.g. "CN". */
  readonly country: string;
}

// ---- commands ----
export interface RegisterCustomer {
  readonly type: 'RegisterCustomer';
  readonly customerId: string;
  readonly name: string;
  readonly idType: IdType;
  readonly idNumber: string;
  readonly phone: string;
  readonly email?: string;
  readonly address?: PostalAddress;
  /**
   * YYYY-MM-DD. For a passport holder, what a document's birth date is checked against; a resident id carries its
   * own (characters 7–14), and one given with it must agree.
   */
  readonly birthDate?: string;
  readonly preferredChannels?: readonly NotificationChannel[];
  readonly locale?: Locale;
  /** IANA name ("Asia/Shanghai", the default): the quiet hours of notifications are in this zone. */
  readonly timeZone?: string;
  /** ISO-8601, from the handler's clock. */
  readonly now: string;
}
/**
 * The right to erasure: the service destroys the customer's data key first (so the personal data in their
 * events can never be read again), then records this. Nothing personal is in the command or its event.
 */
export interface EraseCustomerPersonalData {
  readonly type: 'EraseCustomerPersonalData';
  readonly reason: string;
  readonly now: string;
}
/**
 * New contact details (customer service, or the issuer's back office). Only the fields given change; at least
 * one must be given. The name, the id document and the birth date are not contact details: they change only
 * through identity verification.
 */
export interface ChangeContactDetails {
  readonly type: 'ChangeContactDetails';
  readonly phone?: string;
  readonly email?: string;
  readonly address?: PostalAddress;
  readonly preferredChannels?: readonly NotificationChannel[];
  readonly locale?: Locale;
  /** IANA name, e.g. "Europe/London". */
  readonly timeZone?: string;
  readonly now: string;
}
/**
 * The customer proves who they are again (the same methods as a card's verification), e.g. to confirm a new
 * phone number. The handler fills in what the registry holds and what the provider said; the domain assesses.
 */
export interface VerifyCustomerIdentity {
  readonly type: 'VerifyCustomerIdentity';
  readonly method: VerificationMethod;
  readonly presented: PresentedIdentity;
  readonly biometric?: BiometricResult;
  readonly attestedBy?: string;
  readonly thresholds: Readonly<Record<BiometricMethod, ScoreThresholds>>;
  readonly requestedBy: string;
  readonly now: string;
}
/**
 * A name or id number is wrong in the registry (a typo, a new name after marriage, a renewed document): it changes
 * only through a review, with a documented reason, decided by someone other than who asked.
 */
export interface RequestIdentityCorrection {
  readonly type: 'RequestIdentityCorrection';
  readonly reviewId: string;
  readonly name?: string;
  readonly idNumber?: string;
  /** Why, and on what evidence (10–500 characters). */
  readonly reason: string;
  readonly requestedBy: string;
  readonly now: string;
}
export interface DecideIdentityCorrection {
  readonly type: 'DecideIdentityCorrection';
  readonly reviewId: string;
  readonly decision: ReviewDecision;
  readonly note: string;
  readonly decidedBy: string;
  readonly now: string;
}
export type CustomerCommand =
  | RegisterCustomer
  | ChangeContactDetails
  | VerifyCustomerIdentity
  | RequestIdentityCorrection
  | DecideIdentityCorrection
  | EraseCustomerPersonalData;

// ---- events ----
export interface CustomerRegistered {
  readonly type: 'CustomerRegistered';
  readonly data: {
    readonly customerId: string;
    readonly name: string;
    readonly idType: IdType;
    /** Normalised: upper case, no spaces. */
    readonly idNumber: string;
    /** Normalised: E.164 ("+8613800138000"). */
    readonly phone: string;
    readonly email?: string;
    readonly address?: PostalAddress;
    /** YYYY-MM-DD, when given. */
    readonly birthDate?: string;
    readonly preferredChannels: NotificationChannel[];
    readonly locale: Locale;
    /**
     * IANA name: always set (the given zone or 'Asia/Shanghai'), except in events recorded before time zones
     * were; readers take 'Asia/Shanghai' then (DEFAULT_CUSTOMER_TIME_ZONE). Not personal data: not encrypted.
     */
    readonly timeZone?: string;
    readonly registeredAt: string;
  };
}
/** Only the fields that changed; phone, email and address are personal data (encrypted in the stored event), the others not. */
export interface CustomerContactDetailsChanged {
  readonly type: 'CustomerContactDetailsChanged';
  readonly data: {
    /** Normalised: E.164. */
    readonly phone?: string;
    readonly email?: string;
    readonly address?: PostalAddress;
    readonly preferredChannels?: NotificationChannel[];
    readonly locale?: Locale;
    /** IANA name. */
    readonly timeZone?: string;
    readonly changedAt: string;
  };
}
/** A new phone number waits for the customer to verify their identity again; notifications keep the old one. */
export interface CustomerPhoneChangeRequested {
  readonly type: 'CustomerPhoneChangeRequested';
  readonly data: { readonly phone: string; readonly requestedAt: string };
}
export interface CustomerIdentityVerified {
  readonly type: 'CustomerIdentityVerified';
  readonly data: {
    readonly method: VerificationMethod;
    readonly matchScore?: number;
    readonly providerReference?: string;
    readonly attestedBy?: string;
    readonly verifiedAt: string;
  };
}
export interface CustomerIdentityVerificationFailed {
  readonly type: 'CustomerIdentityVerificationFailed';
  readonly data: { readonly method: VerificationMethod; readonly reasons: VerificationFailureReason[]; readonly matchScore?: number; readonly failedAt: string };
}
export interface CustomerIdentityVerificationUnavailable {
  readonly type: 'CustomerIdentityVerificationUnavailable';
  readonly data: { readonly method: VerificationMethod; readonly reason: string; readonly at: string };
}
/** The pending phone number takes effect (after a successful identity verification). */
export interface CustomerPhoneChanged {
  readonly type: 'CustomerPhoneChanged';
  readonly data: { readonly phone: string; readonly changedAt: string };
}
/** name and idNumber (encrypted) are the corrected values asked for; only those given. */
export interface CustomerIdentityCorrectionRequested {
  readonly type: 'CustomerIdentityCorrectionRequested';
  readonly data: {
    readonly reviewId: string;
    readonly name?: string;
    readonly idNumber?: string;
    readonly reason: string;
    readonly requestedBy: string;
    readonly requestedAt: string;
  };
}
export interface CustomerIdentityCorrectionDecided {
  readonly type: 'CustomerIdentityCorrectionDecided';
  readonly data: { readonly reviewId: string; readonly decision: ReviewDecision; readonly note: string; readonly decidedBy: string; readonly decidedAt: string };
}
/** The approved correction takes effect. */
export interface CustomerIdentityCorrected {
  readonly type: 'CustomerIdentityCorrected';
  readonly data: { readonly reviewId: string; readonly name?: string; readonly idNumber?: string; readonly correctedAt: string };
}
export interface CustomerPersonalDataErased {
  readonly type: 'CustomerPersonalDataErased';
  readonly data: { readonly reason: string; readonly erasedAt: string };
}
export type CustomerEvent =
  | CustomerRegistered
  | CustomerContactDetailsChanged
  | CustomerPhoneChangeRequested
  | CustomerIdentityVerified
  | CustomerIdentityVerificationFailed
  | CustomerIdentityVerificationUnavailable
  | CustomerPhoneChanged
  | CustomerIdentityCorrectionRequested
  | CustomerIdentityCorrectionDecided
  | CustomerIdentityCorrected
  | CustomerPersonalDataErased;

// ---- state ----
export type CustomerState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly customerId: string;
      readonly name: string;
      readonly idType: IdType;
      readonly idNumber: string;
      readonly phone: string;
      readonly email?: string;
      readonly address?: PostalAddress;
      readonly birthDate?: string;
      readonly preferredChannels: NotificationChannel[];
      readonly locale: Locale;
      /** IANA name ('Asia/Shanghai' when none was given); kept when the personal data is erased. */
      readonly timeZone: string;
      readonly registeredAt: string;
      /** When the contact details last changed, if ever. */
      readonly contactDetailsChangedAt?: string;
      /** A new phone number waiting for the customer to verify their identity again; `phone` stays in use until then. */
      readonly pendingPhone?: string;
      readonly pendingPhoneSince?: string;
      /** When the customer last verified their identity (after registration). */
      readonly identityVerifiedAt?: string;
      /** A correction of name or id number waiting for its review. */
      readonly openCorrection?: { readonly reviewId: string; readonly name?: string; readonly idNumber?: string; readonly requestedBy: string };
      /** Set once the customer's personal data was erased; the personal fields then read '[erased]'. */
      readonly personalDataErasedAt?: string;
    };
