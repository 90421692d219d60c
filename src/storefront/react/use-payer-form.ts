import { useCallback, useMemo, useState } from "react"
import type { Payer } from "../../core/requisites/payer"
import { readInvoiceboxError, type InvoiceboxErrorInfo } from "../errors"
import { buildPayer, checkInn, EMPTY_PAYER_FORM, payerTypeOf, type BuildPayerOptions, type PayerFieldErrors, type PayerFormField, type PayerFormValues } from "../payer"

export interface PayerFormState {
  values: PayerFormValues
  errors: PayerFieldErrors
  setValue(field: PayerFormField, value: string): void
  /** Fills several fields at once (the company look-up does), clearing their errors. */
  fill(values: Partial<PayerFormValues>): void
  setErrors(errors: PayerFieldErrors): void
  /** Checks everything as the server will; returns the payer, or null after showing the errors. */
  validate(): Payer | null
  /** Puts an error of the store (a refused payment session) at its fields; returns what was read. */
  showError(error: unknown): InvoiceboxErrorInfo
  /**
   * The payer as typed, for a server action that validates it (the kit's startInvoiceSession does,
   * with the server's rules, and answers field errors): trimmed, empty fields and an ИП's КПП left out.
   */
  draft(): Record<string, string>
  /** Checks the ИНН alone (on blur); true when it may be looked up. */
  checkInnField(): boolean
  payerType: ReturnType<typeof payerTypeOf>
}

/** The payer form's state, kept by the host so that its own submit button can validate it. */
export function usePayerForm(initial: Partial<PayerFormValues> = {}, options: BuildPayerOptions = {}): PayerFormState {
  const [values, setValues] = useState<PayerFormValues>({ ...EMPTY_PAYER_FORM, ...initial })
  const [errors, setErrors] = useState<PayerFieldErrors>({})
  const requireKey = (options.require ?? ["address", "email"]).join(",")

  const setValue = useCallback((field: PayerFormField, value: string) => {
    setValues((v) => ({ ...v, [field]: value }))
    setErrors((e) => (e[field] ? { ...e, [field]: undefined } : e))
  }, [])
  const fill = useCallback((patch: Partial<PayerFormValues>) => {
    setValues((v) => ({ ...v, ...patch }))
    setErrors((e) => {
      const next = { ...e }
      for (const k of Object.keys(patch)) delete next[k as PayerFormField]
      return next
    })
  }, [])
  const validate = useCallback(() => {
    const r = buildPayer(values, { require: requireKey ? (requireKey.split(",") as BuildPayerOptions["require"]) : [] })
    setErrors(r.ok ? {} : r.errors)
    return r.ok ? r.payer : null
  }, [values, requireKey])
  const showError = useCallback((error: unknown) => {
    const info = readInvoiceboxError(error)
    if (Object.keys(info.fields).length) setErrors((e) => ({ ...e, ...info.fields }))
    return info
  }, [])
  const checkInnField = useCallback(() => {
    const problem = checkInn(values.inn)
    setErrors((e) => ({ ...e, inn: problem ?? undefined }))
    return !problem
  }, [values.inn])

  const draft = useCallback(() => {
    const out: Record<string, string> = {}
    const type = payerTypeOf(values.inn)
    for (const [k, v] of Object.entries(values)) if (v.trim() !== "" && !(k === "kpp" && type === "sole_proprietor")) out[k] = v.trim()
    return out
  }, [values])

  return useMemo(
    () => ({ values, errors, setValue, fill, setErrors, validate, showError, draft, checkInnField, payerType: payerTypeOf(values.inn) }),
    [values, errors, setValue, fill, validate, showError, draft, checkInnField]
  )
}
