import { useRef, useState, type ReactNode } from "react"
import { lookupCompany, type Counterparty, type LookupResult } from "../client"
import { errorText } from "../errors"
import { translate, type Lang, type MessageKey } from "../messages"
import type { PayerFormField } from "../payer"
import { cx, useStore, type ClassNames, type StoreProps } from "./classes"
import type { PayerFormState } from "./use-payer-form"

export type PayerFormClass = "root" | "field" | "invalid" | "label" | "input" | "hint" | "error" | "status" | "type" | "button"

/** `sdk` (@medusajs/js-sdk's or createStoreClient()), or `backendUrl` + `publishableKey`: for the company look-up. */
export interface PayerFormProps extends StoreProps {
  form: PayerFormState
  lang?: Lang
  providerId?: string
  classNames?: ClassNames<PayerFormClass>
  messages?: Partial<Record<MessageKey, string>>
  /** Which optional fields to show (default: all). */
  fields?: readonly ("address" | "email" | "phone")[]
  onLookup?: (result: LookupResult) => void
  /** Rendered after the fields (e.g. the host's own inputs). */
  children?: ReactNode
}

type LookupState = { kind: "idle" | "looking" | "found" | "not_found" | "failed"; counterparty?: Counterparty }

const INPUT_ATTRS: Record<PayerFormField, Record<string, string | number>> = {
  inn: { inputMode: "numeric", maxLength: 12, autoComplete: "off" },
  name: { maxLength: 500, autoComplete: "organization" },
  kpp: { maxLength: 9, autoComplete: "off" },
  address: { maxLength: 1000, autoComplete: "street-address" },
  email: { type: "email", maxLength: 100, autoComplete: "email" },
  phone: { type: "tel", maxLength: 20, autoComplete: "tel" },
}

/**
 * The payer's requisites: ИНН first (checked as typed, looked up on blur or Enter, which fills the
 * rest), КПП hidden for an ИП, each error at its field in the buyer's language. Unstyled: every
 * part takes the host's class names; inputs carry `name` and errors `data-error-for`.
 */
export function PayerForm(props: PayerFormProps) {
  const sdk = useStore(props)
  const { form, lang = "ru", classNames: c = {}, messages, fields = ["address", "email", "phone"] } = props
  const t = (k: MessageKey) => translate(lang, k, messages)
  const [lookup, setLookup] = useState<LookupState>({ kind: "idle" })
  const lastLooked = useRef("")

  async function runLookup() {
    const inn = form.values.inn.trim()
    if (!form.checkInnField() || inn === lastLooked.current) return
    lastLooked.current = inn
    setLookup({ kind: "looking" })
    const result = await lookupCompany(sdk, inn, { providerId: props.providerId })
    props.onLookup?.(result)
    if (result.status === "found") {
      const cp = result.counterparty
      form.fill({ name: cp.name ?? "", kpp: cp.kpp ?? "", address: cp.address ?? form.values.address })
      setLookup({ kind: "found", counterparty: cp })
    } else {
      if (result.status !== "not_found") lastLooked.current = ""
      setLookup({ kind: result.status === "not_found" ? "not_found" : "failed" })
    }
  }

  const field = (name: PayerFormField, label: MessageKey, hint?: MessageKey, extra: Record<string, unknown> = {}) => {
    const error = form.errors[name]
    const id = `invoicebox-${name}`
    return (
      <label className={cx(c.field, error && c.invalid)} data-field={name} htmlFor={id}>
        <span className={c.label}>{t(label)}</span>
        <input
          id={id}
          name={name}
          className={c.input}
          value={form.values[name]}
          aria-invalid={error ? true : undefined}
          onChange={(e) => form.setValue(name, e.target.value)}
          {...INPUT_ATTRS[name]}
          {...extra}
        />
        {hint ? <small className={c.hint}>{t(hint)}</small> : null}
        <small className={c.error} data-error-for={name} role="alert">
          {error ? errorText(error, lang) : ""}
        </small>
      </label>
    )
  }

  const type = form.payerType
  return (
    <div className={c.root} data-invoicebox-payer-form="">
      {field("inn", "inn", "innHint", {
        onBlur: runLookup,
        onKeyDown: (e: { key: string; preventDefault(): void }) => {
          if (e.key === "Enter") {
            e.preventDefault()
            void runLookup()
          }
        },
      })}
      <p className={c.status} aria-live="polite" data-testid="lookup-status" data-state={lookup.kind}>
        {lookupText(lookup, t)}
      </p>
      {type ? (
        <p className={c.type} data-payer-type={type}>
          {t(type === "legal" ? "typeLegal" : "typeSole")}
        </p>
      ) : null}
      {field("name", "name")}
      {type === "sole_proprietor" ? null : field("kpp", "kpp", "kppHint")}
      {fields.includes("address") ? field("address", "address") : null}
      {fields.includes("email") ? field("email", "email") : null}
      {fields.includes("phone") ? field("phone", "phone") : null}
      {props.children}
    </div>
  )
}

function lookupText(s: LookupState, t: (k: MessageKey) => string): string {
  if (s.kind === "looking") return t("innLooking")
  if (s.kind === "not_found") return t("innNotFound")
  if (s.kind === "failed") return t("innLookupFailed")
  if (s.kind === "found" && s.counterparty) {
    const cp = s.counterparty
    const label = cp.ogrn?.length === 15 ? t("ogrnip") : t("ogrn")
    return `${t("innFound")}: ${cp.name}${cp.ogrn ? ` (${label} ${cp.ogrn})` : ""}`
  }
  return ""
}
