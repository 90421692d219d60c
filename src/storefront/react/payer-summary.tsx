import type { Payer } from "../../core/requisites/payer"
import { translate, type Lang, type MessageKey } from "../messages"
import type { ClassNames } from "./classes"

export type PayerSummaryClass = "root" | "title" | "name" | "line"

/** Whom the invoice is made out to, for the review step: name, ИНН / КПП, address, e-mail. */
export function PayerSummary(props: { payer: Payer; lang?: Lang; classNames?: ClassNames<PayerSummaryClass>; messages?: Partial<Record<MessageKey, string>> }) {
  const { payer, lang = "ru", classNames: c = {} } = props
  const t = (k: MessageKey) => translate(lang, k, props.messages)
  const ids = [`${t("inn")} ${payer.inn}`, payer.kpp ? `${t("kpp")} ${payer.kpp}` : null].filter(Boolean).join(", ")
  return (
    <div className={c.root} data-testid="payer-summary">
      <p className={c.title}>{t("payer")}</p>
      <p className={c.name} data-testid="payer-summary-name">
        {payer.name}
      </p>
      <p className={c.line}>{ids}</p>
      {payer.address ? <p className={c.line}>{payer.address}</p> : null}
      {payer.email ? <p className={c.line}>{payer.email}</p> : null}
    </div>
  )
}
