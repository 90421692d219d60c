export { isValidInn, isValidKpp, isValidOgrn, isValidOgrnip } from "./checksums"
export {
  validatePayer,
  PAYER_LIMITS,
  PAYER_FIELD_LABELS,
  type Payer,
  type PayerType,
  type FieldError,
  type ValidatePayerResult,
} from "./payer"
export { formatPayerErrors, parsePayerErrors, PAYER_ERROR_PREFIX_EN, PAYER_ERROR_PREFIX_RU, type ParsedFieldError } from "./payer-message"
