export { isValidInn, isValidKpp, isValidOgrn, isValidOgrnip } from "./checksums"
export { validatePayer, PAYER_LIMITS, type Payer, type PayerType, type FieldError, type ValidatePayerResult } from "./payer"
