'use strict';
/*
 * The reference front end. It never holds an API key: the service's demo route hands it a client
 * secret, the card goes from this page straight to Stripe (or, in the sandbox, to the emulator with the
 * publishable key), and the status shown is the service's own, which Stripe's webhooks drive.
 */
(() => {
  const $ = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  let config;
  let stripeJs; // real Stripe mode only
  let elements;
  /** The payment being paid: kept after a decline so the next card confirms the same PaymentIntent. */
  let current = null;

  const setStatus = (word) => ($('status').textContent = word);
  const setMessage = (text) => ($('message').textContent = text || '');
  const busy = (on) => {
    $('pay').disabled = on;
    $('pay-saved').disabled = on;
  };

  async function service(path, body) {
    const res = await fetch(path, {
      method: body ? 'POST' : 'GET',
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw Object.assign(new Error(json.detail || 'The request failed.'), { problem: json });
    return json;
  }

  /** Sandbox: what Stripe.js would send, form-encoded with the publishable key as `key` (no CORS preflight). */
  async function emulator(method, path, form) {
    const body = new URLSearchParams({ key: config.publishableKey, ...form });
    const res =
      method === 'GET'
        ? await fetch(`${config.emulatorUrl}${path}?${body}`)
        : await fetch(`${config.emulatorUrl}${path}`, {
            method,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body,
          });
    const json = await res.json();
    if (json.error) throw Object.assign(new Error(json.error.message), { stripe: json.error });
    return json;
  }

  /** Waits until the service's own record (updated by webhooks) shows what Stripe reported, then shows it. */
  async function showLocalStatus(paymentId, stripeStatus) {
    setStatus('waiting for confirmation…');
    let payment;
    for (let i = 0; i < 150; i++) {
      payment = await service(`payments/${paymentId}`);
      // A failure counts once its reason is recorded too (the row started out requires_payment_method).
      const failed = stripeStatus === 'requires_payment_method';
      if (!stripeStatus || (payment.status === stripeStatus && (!failed || payment.message))) break;
      await sleep(200);
    }
    setStatus(payment.status);
    if (payment.status === 'requires_payment_method' && payment.message) setMessage(payment.message);
    if (payment.status === 'succeeded') current = null;
    await refreshSavedCard();
    return payment;
  }

  async function refreshSavedCard(wait = false) {
    for (let i = 0; i < (wait ? 50 : 1); i++) {
      const saved = await service('saved-card');
      $('pay-saved').hidden = !saved.available;
      if (saved.available) {
        $('pay-saved').textContent = `Pay with saved card (${saved.brand} •••• ${saved.last4})`;
        return;
      }
      if (wait) await sleep(200);
    }
  }

  function readExpiry() {
    const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec($('card-expiry').value);
    return match ? { exp_month: match[1], exp_year: match[2] } : { exp_month: '', exp_year: '' };
  }

  async function paySandbox(saveCard) {
    const paymentMethod = await emulator('POST', '/v1/payment_methods', {
      type: 'card',
      'card[number]': $('card-number').value.replace(/\s+/g, ''),
      'card[exp_month]': readExpiry().exp_month,
      'card[exp_year]': readExpiry().exp_year,
      'card[cvc]': $('card-cvc').value.trim(),
    });
    current ??= await service('payments', { saveCard });
    const intent = await emulator('POST', `/v1/payment_intents/${current.stripePaymentIntentId}/confirm`, {
      client_secret: current.clientSecret,
      payment_method: paymentMethod.id,
      return_url: returnUrl(current.id),
    });
    if (intent.status === 'requires_action' && intent.next_action?.redirect_to_url) {
      setStatus('redirecting to 3-D Secure…');
      window.location.assign(intent.next_action.redirect_to_url.url);
      return;
    }
    await showLocalStatus(current.id, intent.status);
  }

  async function payWithStripe(saveCard) {
    const { error: submitError } = await elements.submit();
    if (submitError) throw submitError;
    current ??= await service('payments', { saveCard });
    const { error, paymentIntent } = await stripeJs.confirmPayment({
      elements,
      clientSecret: current.clientSecret,
      confirmParams: { return_url: returnUrl(current.id) },
      redirect: 'if_required',
    });
    if (error) throw Object.assign(new Error(error.message), { stripe: error });
    await showLocalStatus(current.id, paymentIntent.status);
  }

  const returnUrl = (paymentId) => `${location.origin}${location.pathname}?payment=${encodeURIComponent(paymentId)}`;

  async function onPay(event) {
    event.preventDefault();
    busy(true);
    setMessage('');
    setStatus('');
    const saveCard = $('save-card').checked;
    try {
      await (config.sandbox ? paySandbox(saveCard) : payWithStripe(saveCard));
      if (saveCard) await refreshSavedCard(true);
    } catch (error) {
      // A decline: Stripe's message; the same payment waits for another card in the same form.
      setMessage(error.message);
      if (current && error.stripe?.type === 'card_error') await showLocalStatus(current.id, 'requires_payment_method');
      else if (!error.stripe) current = null;
    } finally {
      busy(false);
    }
  }

  async function onPaySaved() {
    busy(true);
    setMessage('');
    setStatus('');
    try {
      const payment = await service('payments', { useSavedCard: true });
      await showLocalStatus(payment.id, payment.status);
    } catch (error) {
      setMessage(error.message);
      if (error.problem?.paymentId) await showLocalStatus(error.problem.paymentId, 'requires_payment_method');
    } finally {
      busy(false);
    }
  }

  async function mountStripe() {
    await new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = 'https://js.stripe.com/v3/';
      script.onload = resolve;
      script.onerror = () => reject(new Error('Stripe.js could not be loaded.'));
      document.head.appendChild(script);
    });
    stripeJs = window.Stripe(config.publishableKey);
    elements = stripeJs.elements({ mode: 'payment', amount: config.amount, currency: config.currency });
    elements.create('payment').mount('#payment-element');
    $('save-card').addEventListener('change', () => elements.update({ setupFutureUsage: $('save-card').checked ? 'off_session' : null }));
    $('payment-element').hidden = false;
  }

  async function start() {
    config = await service('config');
    $('amount').textContent = new Intl.NumberFormat('en', { style: 'currency', currency: config.currency }).format(config.amount / 100);
    $('mode').textContent = config.sandbox
      ? 'Sandbox: use a Stripe test card such as 4242 4242 4242 4242, any future expiry and any CVC.'
      : '';
    $('card-form').addEventListener('submit', onPay);
    $('pay-saved').addEventListener('click', onPaySaved);
    if (config.sandbox) $('sandbox-fields').hidden = false;
    else await mountStripe();
    await refreshSavedCard();

    // Back from 3-D Secure: Stripe appended the intent and redirect_status; our record has the last word.
    const params = new URLSearchParams(location.search);
    const paymentId = params.get('payment');
    const secret = params.get('payment_intent_client_secret');
    if (paymentId && params.get('payment_intent') && secret) {
      const intent = config.sandbox
        ? await emulator('GET', `/v1/payment_intents/${params.get('payment_intent')}`, { client_secret: secret })
        : (await stripeJs.retrievePaymentIntent(secret)).paymentIntent;
      if (intent.status === 'requires_payment_method') {
        current = { id: paymentId, stripePaymentIntentId: intent.id, clientSecret: secret };
      }
      history.replaceState(null, '', location.pathname);
      await showLocalStatus(paymentId, intent.status);
    }
  }

  start().catch((error) => setMessage(error.message));
})();
