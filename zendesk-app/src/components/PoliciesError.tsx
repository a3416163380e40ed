import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { useT } from '../i18n.tsx';

/** No policies, no form: a form guessed from defaults could offer what the service refuses. */
export function PoliciesError({ message, onRetry }: { message: string; onRetry: () => void }) {
  const t = useT();
  return (
    <Alert type="error" className="block">
      <Alert.Title>{t('policies.failedTitle')}</Alert.Title>
      <p>{t('policies.failed', { message })}</p>
      <Button size="small" onClick={onRetry}>
        {t('policies.retry')}
      </Button>
    </Alert>
  );
}
